# SPDX-License-Identifier: MIT
# Calls getppid() COUNT times, then prints its own pid: the kprobe tests
# count these calls.
#
# usage: python3 getppid.py COUNT
import os
import sys

for _ in range(int(sys.argv[1])):
    os.getppid()
print(os.getpid())
