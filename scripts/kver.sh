#!/bin/sh
# Prints the newest kernel version that has both an image in /boot and a
# module build tree, so the module is always built for the kernel it boots.
set -eu
for dir in /lib/modules/*/; do
	ver=$(basename "$dir")
	if [ -e "/boot/vmlinuz-$ver" ] && [ -e "/lib/modules/$ver/build/Makefile" ]; then
		echo "$ver"
	fi
done | sort -V | tail -n 1
