#!/bin/sh
# Boots the VM and runs lunatik-fuzz against the module with a fresh seed
# (printed; LUNATIK_FUZZ_SEED picks one) until it has sent a number of
# messages, then prints the count. `make fuzz` runs it with --long.
#
# usage: tests/fuzz/run.sh BUILD [--long]
#   default: 100000 messages; --long: 1000000 (LUNATIK_FUZZ_MESSAGES
#   overrides); LUNATIK_FUZZ_KERNEL: the kernel to boot (RELEASE or debug,
#   as vm/lunatik-vm --kernel; default Debian's default kernel)
set -eu

[ $# -ge 1 ] || { sed -n '6,9s/^# \{0,1\}//p' "$0" >&2; exit 2; }
build=$(cd "$1" && pwd)
messages=100000
[ "${2-}" = --long ] && messages=1000000
messages=${LUNATIK_FUZZ_MESSAGES:-$messages}
seed=${LUNATIK_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
kernel=${LUNATIK_FUZZ_KERNEL-}

fuzzer=$build/user/tests/fuzz/lunatik-fuzz
[ -x "$fuzzer" ] || {
	echo "fuzz: $fuzzer is missing (make user; tests/ must be in CMakeLists.txt)" >&2
	exit 1
}
echo "fuzz: seed $seed, $messages messages${kernel:+ on $kernel} (rerun: LUNATIK_FUZZ_SEED=$seed)"
cd "$(dirname "$0")/../.."
# A generous time limit: 50 messages/s at the least, plus boot and setup.
exec vm/lunatik-vm --build "$build" ${kernel:+--kernel "$kernel"} \
	--timeout $((messages / 50 + 300)) -- \
	"$fuzzer" --seed "$seed" --count 0 --messages "$messages"
