-- SPDX-License-Identifier: MIT
-- A minimal test harness for the VM suite. Each test file does
--   local t = require'testlib'
--   t.test('what it checks', function() ... end)
--   t.done()
-- and prints one TAP line per test; tests/run.sh counts them.
local testlib = {}

local count, failures = 0, 0
local file = arg and arg[0] or '?'

local function fail(msg, level)
  error(msg, (level or 1) + 1)
end

-- Runs fn as one test; any error fails it without stopping the file.
function testlib.test(name, fn)
  count = count + 1
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    print(string.format('ok %d - %s', count, name))
  else
    failures = failures + 1
    print(string.format('not ok %d - %s', count, name))
    for line in tostring(err):gmatch('[^\n]+') do
      print('#   ' .. line)
    end
  end
end

function testlib.ok(v, msg)
  if not v then fail(msg or 'expected a true value', 2) end
  return v
end

local function show(v)
  if type(v) == 'string' then return string.format('%q', v) end
  return tostring(v)
end

function testlib.eq(got, want, msg)
  if got ~= want then
    fail(string.format('%sexpected %s, got %s', msg and (msg .. ': ') or '',
      show(want), show(got)), 2)
  end
end

-- Checks that s contains the plain text pattern.
function testlib.contains(s, text, msg)
  if type(s) ~= 'string' or not s:find(text, 1, true) then
    fail(string.format('%sexpected %s to contain %s',
      msg and (msg .. ': ') or '', show(s), show(text)), 2)
  end
end

-- Checks that fn raises an error whose message contains text.
function testlib.raises(fn, text)
  local ok, err = pcall(fn)
  if ok then fail('expected an error containing ' .. show(text), 2) end
  if text and not tostring(err):find(text, 1, true) then
    fail(string.format('expected an error containing %s, got %s', show(text),
      show(err)), 2)
  end
  return err
end

-- Seconds since the (VM's) boot, to the hundredth, from /proc/uptime.
function testlib.uptime()
  local f = assert(io.open('/proc/uptime'))
  local v = assert(f:read('n'))
  f:close()
  return v
end

-- Ends the file: prints the plan and exits non-zero on any failure.
function testlib.done()
  print(string.format('1..%d', count))
  io.stdout:flush()
  os.exit(failures == 0 and 0 or 1)
end

testlib.file = file
return testlib
