-- SPDX-License-Identifier: MIT
-- lunatik shell: piped input evaluated like lua5.4's prompt, and once
-- through a pseudo-terminal (prompt, history, completion, Ctrl-C).
local t = require'testlib'
local lunatik = require'lunatik'

local build = os.getenv('LUNATIK_BUILD') or 'build'
local cli = build .. '/user/cli/lunatik'
local here = arg[0]:match('^(.*)/[^/]*$') or '.'

local function shell(args, stdin)
  local input, err = os.tmpname(), os.tmpname()
  local f = assert(io.open(input, 'wb'))
  f:write(stdin)
  f:close()
  local p = assert(io.popen(cli .. ' shell ' .. args .. ' <' .. input ..
    ' 2>' .. err))
  local out = p:read('a')
  local _, _, code = p:close()
  f = assert(io.open(err))
  local errout = f:read('a')
  f:close()
  os.remove(input)
  os.remove(err)
  return out, errout, code
end

local function states()
  local s = assert(lunatik.session())
  local names = {}
  for _, st in ipairs(assert(s:list())) do names[st.name] = true end
  s:close()
  return names
end

t.test('bare expressions print their values, tab-separated', function()
  local out, err, code = shell('api_cli_shell',
    "1 + 1\n1, 'x', nil, true\n7 // 2, 7 / 2\n'a' .. 'b'\n")
  t.eq(out, '2\n1\tx\tnil\ttrue\n3\t3\nab\n')
  t.eq(err, '')
  t.eq(code, 0)
end)

t.test('statements, and multi-line statements continue', function()
  local out, err, code = shell('api_cli_shell', table.concat({
    'x = 20',
    'function f(a)',
    '  return a * 2',
    'end',
    'for i = 1, 3 do',
    '  x = x + i',
    'end',
    'f(x)',
    'local t = {',
    '  1, 2,',
    '  3}',
    '=x',
    'return x, "r"',
  }, '\n') .. '\n')
  t.eq(out, '52\n26\n26\tr\n')
  t.eq(err, '')
  t.eq(code, 0)
end)

t.test('errors print with a traceback and the shell goes on', function()
  local out, err, code = shell('api_cli_shell',
    "error('bad line')\n2 * 3\n1 +\n+ 1\n1 1\nx = 1.5\nnil + 1\n4\n")
  -- "1 +" continues; like lua5.4, the lines then run as a statement.
  t.eq(out, '6\n4\n')
  t.contains(err, 'stdin:1: bad line')
  t.contains(err, 'stack traceback:')
  t.contains(err, "unexpected symbol near '1'")
  t.contains(err, "malformed number near '1.5' (kernel Lua has integers only)")
  t.contains(err, 'attempt to perform arithmetic on a nil value')
  t.eq(code, 1)
end)

t.test('input ending inside a statement fails', function()
  local out, err, code = shell('api_cli_shell', 'for i = 1, 2 do\n')
  t.eq(out, '')
  t.contains(err, "'end' expected")
  t.contains(err, '<eof>')
  t.eq(code, 1)
end)

t.test('an existing state keeps its globals; a named one is kept', function()
  local out, err, code = shell('api_cli_shell', 'x\n')
  t.eq(out, '26\n')
  t.eq(code, 0, err)
  t.ok(states()['api_cli_shell'])
  local s = assert(lunatik.session())
  assert(assert(s:getstate('api_cli_shell')):close())
  s:close()
end)

t.test('print shows in the shell, before the results, even before an error', function()
  local out, err, code = shell('api_cli_shell', table.concat({
    'print("hello")',
    'print(1, nil, true) return 7',
    'for i = 1, 2 do print(i) end',
    'print("a\\0b")',
    'print("before") error("after")',
    '3',
  }, '\n') .. '\n')
  t.eq(out, 'hello\n1\tnil\ttrue\n7\n1\n2\na\0b\nbefore\n3\n')
  t.contains(err, 'stdin:1: after')
  t.eq(code, 1)
end)

t.test('no name: a fresh state, closed at the end unless --keep', function()
  local before = states()
  local out, err, code = shell('', '_G.marker = 1\nmarker + 1\n')
  t.eq(out, '2\n')
  t.eq(code, 0, err)
  local after = states()
  for name in pairs(after) do
    t.ok(before[name], 'left behind: ' .. name)
  end
  out, err, code = shell('--keep', 'return 3\n')
  t.eq(out, '3\n')
  t.eq(code, 0, err)
  local s = assert(lunatik.session())
  local kept
  for name in pairs(states()) do
    if not before[name] and name:match('^shell%-%d+$') then kept = name end
  end
  t.ok(kept, 'the --keep state is listed')
  assert(assert(s:getstate(kept)):close())
  s:close()
end)

t.test('no prompt and no banner when piped', function()
  local out, err, code = shell('', '')
  t.eq(out, '')
  t.eq(err, '')
  t.eq(code, 0)
end)

t.test('a pseudo-terminal: prompt, history, completion, Ctrl-C', function()
  local home = os.tmpname()
  os.remove(home)
  assert(os.execute('mkdir ' .. home))
  local before = states()
  local p = assert(io.popen('python3 ' .. here .. '/cli_pty.py ' .. cli ..
    ' ' .. home .. ' 2>&1'))
  local out = p:read('a')
  local _, _, code = p:close()
  t.eq(code, 0, out)
  t.contains(out, 'step ok: second Ctrl-C exits')
  t.contains(out, 'step ok: history file')
  for name in pairs(states()) do
    t.ok(before[name], 'left behind: ' .. name)
  end
  os.execute('rm -rf ' .. home)
end)

t.done()
