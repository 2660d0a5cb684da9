#!/bin/bash
# The whole test suite (make test): host unit tests, host Lua tests, then
# the VM tests on each kernel, one boot per kernel: every tests/vm/*_test.lua
# on Debian's kernels (scripts/kver.sh --all: 6.1, 6.12), a subset on the
# debug kernel (scripts/debug-kernel.sh), which is several times slower.
# Prints "RELEASE: N passed, N failed" per kernel, then the total line
# "N passed, N failed"; fails if anything failed or nothing ran. The module
# must be built for each kernel (scripts/build-module.sh BUILD --all).
#
# usage: tests/run.sh BUILD_DIR
set -uo pipefail

[ $# -eq 1 ] || { echo "usage: tests/run.sh BUILD_DIR" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
[ -d "$1" ] || { echo "tests/run.sh: build directory '$1' does not exist" >&2; exit 2; }
build=$(cd "$1" && pwd)
cd "$repo" || exit 2

passed=0 failed=0
failures=()
log=$build/test-logs
mkdir -p "$log"

note_failure() {
	failed=$((failed + 1))
	failures+=("$1")
}

# Counts the "NAME: ok" and "NAME: not ok" lines that run-all.sh prints.
count_tap() {
	local ok not_ok
	ok=$(grep -cE '^[^ ]+: ok ' "$1")
	not_ok=$(grep -cE '^[^ ]+: not ok( |$)' "$1")
	passed=$((passed + ok))
	failed=$((failed + not_ok))
	while IFS= read -r line; do
		failures+=("$line")
	done < <(grep -E '^[^ ]+: not ok( |$)' "$1")
}

echo "== host unit tests (ctest)"
if [ -f "$build/user/CTestTestfile.cmake" ]; then
	ctest --test-dir "$build/user" --output-on-failure 2>&1 | tee "$log/ctest.log"
	ctest_status=${PIPESTATUS[0]}
	# "100% tests passed, 0 tests failed out of 42"; nothing when no tests.
	summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log/ctest.log" | tail -n 1)
	if [ -n "$summary" ]; then
		read -r total < <(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
		read -r bad < <(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
		passed=$((passed + total - bad))
		failed=$((failed + bad))
		while IFS= read -r line; do
			failures+=("ctest: $line")
		done < <(sed -n '/tests FAILED:$/,$p' "$log/ctest.log" | grep -E '^[[:space:]]+[0-9]+ - ' | sed 's/^[[:space:]]*//')
	elif [ "$ctest_status" -ne 0 ]; then
		note_failure "ctest exited with status $ctest_status"
	fi
else
	note_failure "no CMake build in $build/user (run make user)"
fi

shopt -s nullglob
host_lua=("$repo"/tests/host/*_test.lua)
shopt -u nullglob
if [ ${#host_lua[@]} -gt 0 ]; then
	echo "== host Lua tests"
	LUA_PATH="$repo/tests/vm/?.lua;$repo/tests/lua/?.lua;;" \
		LUA_CPATH="$build/user/lua-modules/?.so;;" LUNATIK_BUILD=$build \
		tests/vm/run-all.sh "${host_lua[@]}" 2>&1 | tee "$log/host-lua.log"
	count_tap "$log/host-lua.log"
fi

# The debug kernel's subset: the API, the hostile chunks, the fuzzer and the
# stress test (docs/testing.md).
debug_tests=(api_ kernel_ fuzz stress)

lanes=()
# run_lane NAME LABEL LUNATIK-VM-OPTIONS... -- RUN-ALL-ARGS...
run_lane() {
	local name=$1 label=$2 vm_status passed_before=$passed failed_before=$failed
	shift 2
	echo "== VM tests on $label (one boot)"
	vm/lunatik-vm --build "$build" "$@" 2>&1 | tee "$log/vm-$name.log"
	vm_status=${PIPESTATUS[0]}
	local first=${#failures[@]} i
	count_tap "$log/vm-$name.log"
	for ((i = first; i < ${#failures[@]}; i++)); do
		failures[i]="$name: ${failures[i]}"
	done
	while IFS= read -r line; do
		note_failure "$name: $line"
	done < <(grep '^lunatik-vm: FAIL:' "$log/vm-$name.log")
	if [ "$vm_status" -ne 0 ] && [ "$failed" -eq "$failed_before" ]; then
		note_failure "$name: the VM run exited with status $vm_status"
	fi
	lanes+=("$name: $((passed - passed_before)) passed, $((failed - failed_before)) failed")
}

# Generous for the whole suite under TCG, but below make test's budget.
for release in $(scripts/kver.sh --all); do
	run_lane "$release" "$release" --kernel "$release" --timeout 1080 -- \
		tests/vm/run-all.sh
done
if debug_dir=$(scripts/debug-kernel.sh --path) && [ -f "$debug_dir/done" ]; then
	release=$(cat "$debug_dir/release")
else
	release=debug
fi
run_lane "$release" "the debug kernel $release" --kernel debug --timeout 2700 -- \
	tests/vm/run-all.sh --timeout 720 "${debug_tests[@]}"

echo "== summary (logs in $log)"
for line in "${failures[@]}"; do
	echo "FAILED: $line"
done
if [ $((passed + failed)) -eq 0 ]; then
	echo "tests/run.sh: no test ran" >&2
	echo "0 passed, 0 failed"
	exit 1
fi
for line in "${lanes[@]}"; do
	echo "$line"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
