# shellcheck shell=sh
# Harness self-test: a test whose set-up never happens is run the bounded number of times and
# then reported inconclusive (a failure, with that reason), never passed.
#@ limit=10
. /tests/lib.sh
missed "this scenario never happens"
