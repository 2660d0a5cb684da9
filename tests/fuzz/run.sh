#!/bin/sh
# Boots the VM and runs lunatik-fuzz against the module for a while with a
# fresh seed (printed, and LUNATIK_FUZZ_SEED picks one). `make fuzz` runs
# it with --long.
#
# usage: tests/fuzz/run.sh BUILD [--long]
#   default: 2 minutes; --long: 10 minutes (LUNATIK_FUZZ_SECONDS overrides)
set -eu

[ $# -ge 1 ] || { sed -n '6,7s/^# \{0,1\}//p' "$0" >&2; exit 2; }
build=$(cd "$1" && pwd)
seconds=120
[ "${2-}" = --long ] && seconds=600
seconds=${LUNATIK_FUZZ_SECONDS:-$seconds}
seed=${LUNATIK_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

fuzzer=$build/user/tests/fuzz/lunatik-fuzz
[ -x "$fuzzer" ] || {
	echo "fuzz: $fuzzer is missing (make user; tests/ must be in CMakeLists.txt)" >&2
	exit 1
}
echo "fuzz: seed $seed for $seconds s (rerun: LUNATIK_FUZZ_SEED=$seed)"
cd "$(dirname "$0")/../.."
# The VM gets room for boot, setup and cleanup beyond the fuzzing time.
exec vm/lunatik-vm --build "$build" --timeout $((seconds + 300)) -- \
	"$fuzzer" --seed "$seed" --count 0 --seconds "$seconds"
