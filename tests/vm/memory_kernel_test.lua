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

-- Once the time budget is spent, every checkpoint raises. memory's own
-- functions and finalizers call API functions that Lua documents as never
-- raising; they must keep their invariants: a resize exposes only zeros,
-- and every block goes back to the allocator (curralloc to its baseline).
t.test('resize and __gc under a spent budget: only zeros, no leak', function()
  local st = newstate('memtest_budget', 16 * 1024 * 1024)
  assert(st:dostring('collectgarbage() collectgarbage()'))
  local base = st:getcurralloc()
  local ok2, err = st:dostring([[
    bad, rounds = 0, 0
    local m = memory.create()
    local z = memory.create(4096)
    local function round()
      while true do
        local g = memory.create()
        memory.resize(g, 4096, z)
        local dirt = ('X'):rep(4000)
        memory.resize(m, 0)
        memory.resize(m, 4096, z)
        local i = memory.diff(m, z)
        if i and i <= #m then bad = bad + 1 end
        rounds = rounds + 1
      end
    end
    while true do
      pcall(round)
      local i = memory.diff(m, z)
      if i and i <= #m then bad = bad + 1 end
    end]])
  t.eq(ok2, nil, 'stopped by the budget')
  t.contains(err, 'timeout')
  local ok3, bad, rounds = st:dostring('return bad, rounds')
  t.eq(ok3, true, tostring(bad))
  print('# rounds: ' .. tostring(rounds))
  t.eq(bad, 0, 'resizes that exposed unzeroed bytes')
  assert(st:dostring('bad, rounds = nil collectgarbage() collectgarbage()'))
  local after = st:getcurralloc()
  t.ok(after <= base + 8192, ('curralloc %d, baseline %d'):format(after, base))
  st:close()
end)

session:close()
t.done()
