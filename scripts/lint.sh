#!/bin/bash
# SPDX-License-Identifier: MIT
# Static checks of the project's own user-space code; exits non-zero on any
# finding.
#   scripts/lint.sh BUILD    BUILD: a CMake build dir with
#                            compile_commands.json, e.g. build/user
# clang-format checks the C++ (lib, lua, cli, include/lunatik, bench,
# tests/fuzz, tests/poll, tests/schema); kernel/ and memory/ follow kernel
# style instead.
# clang-tidy checks every translation unit of those directories and memory/,
# with the nearest .clang-tidy of each file, except that GoogleTest files
# (*_test.cc) skip the clang-analyzer checks: exploring the paths through
# every EXPECT_* macro took most of the time, and the code under test is
# analyzed in its own translation unit.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ne 1 ] || [ ! -f "$1/compile_commands.json" ]; then
	echo "usage: $0 BUILD (a CMake build dir with compile_commands.json)" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
cd "$root" || exit 2

for tool in clang-format clang-tidy run-clang-tidy; do
	if ! command -v "$tool" >/dev/null; then
		echo "lint: $tool is missing (apt-get install clang-format clang-tidy)" >&2
		exit 2
	fi
done

cxx_dirs=(lib lua cli include/lunatik bench tests/fuzz tests/poll tests/schema)
mapfile -t cxx_files < <(find "${cxx_dirs[@]}" -type f \
	\( -name '*.cc' -o -name '*.h' \) | sort)
format_log=$(mktemp)
tidy_log=$(mktemp)
tidy_err=$(mktemp)
trap 'rm -f "$format_log" "$tidy_log" "$tidy_err"' EXIT

clang-format --dry-run -Werror "${cxx_files[@]}" 2>"$format_log"
format_status=$?
cat "$format_log"
# Each misformatted spot is one "file:line:col: error: code should be
# clang-formatted" line.
misformatted=$(grep -E '^[^ ]+:[0-9]+:[0-9]+: error:' "$format_log" |
	cut -d: -f1 | sort -u | wc -l)

# The regexes are anchored at the tree, so nothing under BUILD or in system
# headers counts, and headers of bench/ and tests/ are checked as well as
# those the parent .clang-tidy names.
own="$root/(include/lunatik|lib|lua|cli|bench|tests/fuzz|tests/poll|tests/schema|memory)/"
tidy() {
	run-clang-tidy -p "$build" -quiet -header-filter="^$own" "$@" \
		>>"$tidy_log" 2>>"$tidy_err"
}
tidy "^$own(?!.*_test\.cc$)"
tidy_status=$?
tidy '-checks=-clang-analyzer-*' "^$own.*_test\.cc$"
tidy_status=$((tidy_status | $?))
# clang-tidy counts the warnings it suppressed in system headers: noise.
grep -vE '^[0-9]+ warnings? generated\.$' "$tidy_err" >&2
# run-clang-tidy always colours its output; the log is read without colour.
sed -i -E 's/\x1b\[[0-9;]*m//g' "$tidy_log"
# Drop the command line run-clang-tidy prints for each file.
grep -vE '^clang-tidy(-[0-9]+)? ' "$tidy_log"
# A header's finding shows once per translation unit that includes it.
findings=$(grep -E '^/[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$tidy_log" |
	sort -u | wc -l)
units=$(grep -cE '^clang-tidy(-[0-9]+)? ' "$tidy_log")

echo "lint: clang-format: ${misformatted} of ${#cxx_files[@]} files misformatted"
echo "lint: clang-tidy: ${findings} findings in ${units} translation units"
if [ "$misformatted" -ne 0 ] || [ "$format_status" -ne 0 ] ||
	[ "$findings" -ne 0 ] || [ "$tidy_status" -ne 0 ]; then
	[ "$format_status" -ne 0 ] && echo "lint: clang-format exited $format_status"
	[ "$tidy_status" -ne 0 ] && echo "lint: run-clang-tidy exited $tidy_status"
	echo "lint: FAILED"
	exit 1
fi
echo "lint: ok"
