#!/bin/bash
# The whole test suite (make test): host unit tests, host Lua tests, then
# every tests/vm/*_test.lua in one boot of the VM. Ends with one line
# "N passed, N failed" and fails if anything failed or nothing ran.
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

echo "== VM tests (one boot)"
# Generous for the whole suite under TCG, but below make test's budget.
vm/lunatik-vm --build "$build" --timeout 1080 -- tests/vm/run-all.sh 2>&1 |
	tee "$log/vm.log"
vm_status=${PIPESTATUS[0]}
failed_before=$failed
count_tap "$log/vm.log"
while IFS= read -r line; do
	note_failure "$line"
done < <(grep '^lunatik-vm: FAIL:' "$log/vm.log")
if [ "$vm_status" -ne 0 ] && [ "$failed" -eq "$failed_before" ]; then
	note_failure "the VM run exited with status $vm_status"
fi

echo "== summary (logs in $log)"
for line in "${failures[@]}"; do
	echo "FAILED: $line"
done
if [ $((passed + failed)) -eq 0 ]; then
	echo "tests/run.sh: no test ran" >&2
	echo "0 passed, 0 failed"
	exit 1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
