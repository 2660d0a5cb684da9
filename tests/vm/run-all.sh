#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs Lua test files, each in its own lua5.4 process with a time limit, and
# prints their TAP lines prefixed with the file's name, then a summary.
# Meant to run inside the VM (vm/lunatik-vm -- tests/vm/run-all.sh); tests/run.sh
# also uses it on the host for tests/host.
#
# usage: tests/vm/run-all.sh [--timeout SECONDS] [FILE | NAME]...
#   FILE   a test file; NAME selects tests/vm/*NAME*_test.lua
#   none   every tests/vm/*_test.lua
#
# A file that crashes, times out, exits non-zero or prints a wrong plan gets
# a "not ok" line of its own. Inside the VM, a file during which the kernel
# oopsed, warned or reported bad memory gets one too; after an oops the rest
# are not run (each gets a "not ok"), since a crashed kernel may hang them.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
per_file_timeout=240

usage() {
	sed -n '8,11s/^# \{0,1\}//p' "$0"
}

files=()
while [ $# -gt 0 ]; do
	case $1 in
	--timeout)
		[[ ${2-} =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
		per_file_timeout=$2
		shift 2
		;;
	-h | --help) usage; exit 0 ;;
	*)
		if [ -f "$1" ]; then
			files+=("$1")
		else
			shopt -s nullglob
			matches=("$here"/*"$1"*_test.lua)
			shopt -u nullglob
			if [ ${#matches[@]} -eq 0 ]; then
				echo "run-all: no test file matches '$1'" >&2
				exit 2
			fi
			files+=("${matches[@]}")
		fi
		shift
		;;
	esac
done
if [ ${#files[@]} -eq 0 ]; then
	files=("$here"/*_test.lua)
	[ -f "${files[0]}" ] || { echo "run-all: no tests in $here" >&2; exit 2; }
fi

# Taint bits that mean trouble: machine check, bad page (slub reports),
# oops, warning, soft lockup. Only read inside the VM: the host's kernel is
# not under test.
taint_mask=$(((1 << 4) | (1 << 5) | (1 << 7) | (1 << 9) | (1 << 14)))
oops_bit=$((1 << 7))
kernel_taint() {
	if [ "${LUNATIK_VM-}" = 1 ]; then
		echo $(($(cat /proc/sys/kernel/tainted) & taint_mask))
	else
		echo 0
	fi
}

passed=0 failed=0 files_failed=0
oopsed=
for file in "${files[@]}"; do
	name=$(basename "$file")
	if [ -n "$oopsed" ]; then
		echo "$name: not ok - not run: the kernel oopsed during $oopsed"
		failed=$((failed + 1)) files_failed=$((files_failed + 1))
		continue
	fi
	taint_before=$(kernel_taint)
	start=$SECONDS
	out=$(mktemp)
	# Line-buffered, so what a file printed before it crashed is kept.
	timeout -k 5 "$per_file_timeout" stdbuf -oL -eL lua5.4 "$file" 2>&1 |
		tee "$out" | sed -u "s|^|$name: |"
	status=${PIPESTATUS[0]}
	ok=$(grep -c '^ok ' "$out")
	not_ok=$(grep -c '^not ok ' "$out")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | tail -n 1)
	rm -f "$out"

	problems=()
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		problems+=("timed out after $per_file_timeout s")
	elif [ "$status" -ne 0 ] && [ "$not_ok" -eq 0 ]; then
		problems+=("lua5.4 exited with status $status")
	elif [ -z "$plan" ]; then
		problems+=("no plan line (1..N): the file did not finish")
	elif [ "$plan" -ne $((ok + not_ok)) ]; then
		problems+=("plan 1..$plan but $((ok + not_ok)) tests ran")
	fi
	taint_after=$(kernel_taint)
	if [ "$taint_after" -ne "$taint_before" ]; then
		problems+=("the kernel oopsed, warned or reported bad memory (taint $taint_before -> $taint_after); see the kernel log")
		if [ $((taint_after & oops_bit)) -ne 0 ] && [ $((taint_before & oops_bit)) -eq 0 ]; then
			oopsed=$name
		fi
	fi
	for problem in "${problems[@]}"; do
		echo "$name: not ok - $problem"
	done

	passed=$((passed + ok))
	failed=$((failed + not_ok + ${#problems[@]}))
	if [ $((not_ok + ${#problems[@]})) -gt 0 ]; then
		files_failed=$((files_failed + 1))
	fi
	echo "# $name: $ok passed, $((not_ok + ${#problems[@]})) failed, $((SECONDS - start)) s"
done

echo "# run-all: ${#files[@]} files ($files_failed failed): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
