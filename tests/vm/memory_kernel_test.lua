-- SPDX-License-Identifier: MIT
-- The memory module inside a kernel state: runs every case of
-- tests/lua/memory_cases.lua there (one TAP test per case), then checks
-- that memories cross between user space and the kernel intact.
local t = require'testlib'
local lunatik = require'lunatik'
local memory = require'memory'

local here = (arg and arg[0] or ''):match('^(.*)/[^/]*$') or '.'
local casesfile = assert(package.searchpath('memory_cases',
  here .. '/../lua/?.lua'))
local file = assert(io.open(casesfile))
local source = file:read('a')
file:close()

local session = assert(lunatik.session())

-- A fresh state; one left over by an interrupted run is closed first.
local function newstate(name, maxalloc)
  local old = session:getstate(name)
  if old then old:close() end
  return assert(session:newstate(name, maxalloc))
end

local state = newstate('memtest', 4 * 1024 * 1024)
local ok, passed, failed, report = state:dostring(source, 'memory_cases')

t.test('memory_cases runs in a kernel state', function()
  t.eq(ok, true, 'dostring: ' .. tostring(passed))
  t.eq(math.type(passed), 'integer')
  t.eq(math.type(failed), 'integer')
end)

if ok then
  local cases = 0
  for line in report:gmatch('[^\n]+') do
    local status, name, message = line:match('^([^\t]+)\t([^\t]+)\t?(.*)$')
    cases = cases + 1
    t.test('kernel: ' .. name, function()
      if status ~= 'ok' then error(message, 0) end
    end)
  end
  t.test('the kernel report accounts for every case', function()
    t.ok(cases > 40, 'at least 40 cases, got ' .. cases)
    t.eq(passed + failed, cases)
  end)
end
state:close()

t.test('memory is a global of every kernel state', function()
  local st = newstate('memtest_global')
  local ok2, kind, len, text = st:dostring(
    "local m = memory.create('k\\0ernel') " ..
    "return memory.type(m), #m, m:tostring(2, 3)")
  st:close()
  t.eq(ok2, true, tostring(kind))
  t.eq(kind, 'fixed')
  t.eq(len, 7)
  t.eq(text, '\0e')
end)

t.test('float formats raise in the kernel', function()
  local st = newstate('memtest_float')
  local ok2, err = st:dostring("return pcall(memory.pack, memory.create(8), 'd', 1, 1)")
  st:close()
  t.eq(ok2, true, tostring(err))
  t.eq(err, false)
end)

t.test('a memory sent to the kernel arrives as a fixed memory', function()
  local st = newstate('memtest_send')
  t.eq(st:dostring([[
    function receive_callback(m)
      seen = memory.type(m) .. ' ' .. #m .. ' ' .. memory.tostring(m)
      memory.set(m, 1, 0x58)
      netlink.send(m)
    end]]), true)
  local data = memory.create('ab\0cd\255')
  t.eq(st:send(data), true)
  local ok2, seen = st:dostring('return seen')
  t.eq(ok2, true, tostring(seen))
  t.eq(seen, 'fixed 6 ab\0cd\255')
  local back = st:receive(5000)
  st:close()
  t.eq(memory.type(back), 'fixed')
  t.eq(memory.tostring(back), 'Xb\0cd\255')
  t.eq(memory.tostring(data), 'ab\0cd\255', 'the sender keeps its bytes')
end)

t.test('64 KiB memories cross both ways', function()
  local st = newstate('memtest_big', 4 * 1024 * 1024)
  t.eq(st:dostring([[
    function receive_callback(m)
      local copy = memory.create(#m)
      memory.fill(copy, m)
      memory.fill(copy, 0x21, 1, 1)
      netlink.send(copy)
    end]]), true)
  local size = lunatik.datamaxsize >= 65536 and 65536 or lunatik.datamaxsize
  local data = memory.create(size)
  memory.fill(data, 'lunatik')
  t.eq(st:send(data), true)
  local back = st:receive(5000)
  st:close()
  t.eq(#back, size)
  t.eq(memory.diff(back, data), 1)
  t.eq(memory.tostring(back, 2), memory.tostring(data, 2))
end)

session:close()
t.done()
