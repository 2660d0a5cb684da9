# SPDX-License-Identifier: MIT
# Drives `lunatik shell` through a pseudo-terminal, as a person would; used
# by cli_shell_test.lua. Prints one line per step; exits non-zero at the
# first step that did not see what it expected.
#
# usage: python3 cli_pty.py LUNATIK_BINARY HOME_DIR
import os
import pty
import select
import sys
import time

cli, home = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.environ['HOME'] = home
    os.environ['TERM'] = 'xterm'
    os.execv(cli, [cli, 'shell'])

seen = b''


def expect(what, timeout=60):
    """Reads until `what` appears after what earlier steps consumed;
    returns what came before it."""
    global seen
    deadline = time.time() + timeout
    while what not in seen:
        left = deadline - time.time()
        if left <= 0:
            print('timeout waiting for %r; got %r' % (what, seen))
            sys.exit(1)
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b''
            if not chunk:
                print('eof waiting for %r; got %r' % (what, seen))
                sys.exit(1)
            seen += chunk
    before = seen[:seen.index(what)]
    seen = seen[seen.index(what) + len(what):]
    return before


def step(name, send, *wants):
    os.write(fd, send)
    for want in wants:
        expect(want)
    print('step ok: ' + name)


expect(b'integers')
expect(b'> ')
print('step ok: banner and prompt')
step('expression', b'1 + 1\r', b'\r\n2\r\n', b'> ')
step('multi-line', b'for i = 1, 3 do\r', b'>> ')
step('multi-line end', b'n = (n or 0) + i end\r', b'> ')
step('result', b'n\r', b'\r\n6\r\n', b'> ')
step('history: up arrow', b'\x1b[A\x1b[A\x1b[A\x1b[A\r', b'\r\n2\r\n', b'> ')
step('tab completes', b'string.forma\t\r', b'function: ', b'> ')
step('error goes on', b'error("boom")\r', b'boom', b'traceback', b'> ')
step('Ctrl-C clears a line', b'garbage(\x03', b'> ')
step('the cleared line did not run', b'1 + 2\r', b'\r\n3\r\n', b'> ')
# Ctrl-C while a chunk runs sends the cancel request: the chunk ends with
# the Lua error "interrupted" and the state keeps its globals.
os.write(fd, b'while true do end\r')
time.sleep(1)
step('Ctrl-C while a chunk runs', b'\x03', b'interrupted', b'> ')
step('the state stays', b'n\r', b'\r\n6\r\n', b'> ')
# Pressed as soon as the shell took the line, Ctrl-C lands while the shell
# still probes it, or before the chunk's request reached the kernel, or even
# before the shell looked at the line (which then never runs). None of these
# may lose it: the chunk must not run on to its time limit.
os.write(fd, b'while true do end\r')
expect(b'while true do end\r\n')
os.write(fd, b'\x03')
after = expect(b'> ')
if b'timeout' in after:
    print('Ctrl-C right after Enter was lost: %r' % after)
    sys.exit(1)
print('step ok: Ctrl-C right after Enter')
step('the state still stays', b'n\r', b'\r\n6\r\n', b'> ')
step('Ctrl-C at an empty prompt', b'\x03', b'Ctrl-C again', b'> ')
os.write(fd, b'\x03')
_, status = os.waitpid(pid, 0)
if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
    print('exit status %r' % status)
    sys.exit(1)
print('step ok: second Ctrl-C exits')
with open(os.path.join(home, '.lunatik_history')) as f:
    history = f.read()
# libedit writes a space as \040 (strvis).
if '1 + 1' not in history.replace('\\040', ' '):
    print('history file lacks "1 + 1": %r' % history)
    sys.exit(1)
print('step ok: history file')
