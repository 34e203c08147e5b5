// SPDX-License-Identifier: GPL-2.0
/*
 * leak_canary: the positive control of tests/guest/99-kmemleak.sh. At load it allocates
 * `objects` buffers and forgets every pointer, so a kmemleak scan must report them, with this
 * module's leak_canary_leak() in their backtraces. The test loads it next to rust_workq and
 * trusts its "no other leak" only if the scan found the canary's: proof, in every run, that
 * kmemleak on this kernel sees the leaks of a module.
 *
 * Then it shrinks every kmalloc cache and churns it on every CPU (allocates and frees `churn`
 * objects of each size). SLUB's per-CPU sheaves are arrays of object pointers that kmemleak
 * scans whole, and a slot keeps the pointer of an object handed out from it until a later free
 * or refill overwrites it: without this, most freshly leaked objects (the canary's, or a
 * module's) stay "referenced" by such a stale slot and are not reported (measured: 9 and 35 of
 * 64 canary buffers, 0 of 10 buffers leaked by a patched rust_workq). Shrinking frees the spare
 * and node-level sheaves and empties each CPU's main one; the churn then refills every main
 * sheaf, over its stale slots.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/cpu.h>
#include <linux/workqueue.h>

static unsigned int objects = 64;
module_param(objects, uint, 0444);
MODULE_PARM_DESC(objects, "How many 192-byte buffers to leak at load");

static unsigned int churn = 256;
module_param(churn, uint, 0444);
MODULE_PARM_DESC(churn, "Objects allocated and freed per kmalloc size and CPU after the leak");

/* Not __init: its name must still resolve in kmemleak's report after the module's init is gone. */
static noinline int leak_canary_leak(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		void *p = kmalloc(192, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		/* Leaked on purpose: nothing keeps p. The barrier keeps the allocation. */
		OPTIMIZER_HIDE_VAR(p);
	}
	return 0;
}

static long leak_canary_churn(void *unused)
{
	static const unsigned int sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
					      4096, 8192 };
	unsigned int i, j;
	void **held;

	held = kvmalloc_array(churn, sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < churn; j++)
			held[j] = kmalloc(sizes[i], GFP_KERNEL);
		for (j = 0; j < churn; j++)
			kfree(held[j]);
	}
	kvfree(held);
	return 0;
}

static int __init leak_canary_init(void)
{
	int ret = leak_canary_leak(objects);
	unsigned int cpu, i;

	if (ret)
		return ret;
	/* Empties every CPU's sheaves and frees the spare and node-level ones. */
	for (i = 0; i <= KMALLOC_SHIFT_HIGH; i++)
		if (kmalloc_caches[KMALLOC_NORMAL][i])
			kmem_cache_shrink(kmalloc_caches[KMALLOC_NORMAL][i]);
	/* Refills each CPU's emptied main sheaf, over its stale slots. */
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		ret = work_on_cpu(cpu, leak_canary_churn, NULL);
		if (ret)
			break;
	}
	cpus_read_unlock();
	if (ret)
		return ret;
	pr_info("leaked %u buffers of 192 bytes on purpose, churned the kmalloc caches\n", objects);
	return 0;
}

static void __exit leak_canary_exit(void)
{
}

module_init(leak_canary_init);
module_exit(leak_canary_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Leaks buffers at load: the positive control of the kmemleak test");
