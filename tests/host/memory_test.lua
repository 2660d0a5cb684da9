-- SPDX-License-Identifier: MIT
-- The memory module in the host's lua5.4: every case of
-- tests/lua/memory_cases.lua as one TAP test, then checks that need floats
-- or Lua's own string.pack, which a kernel state lacks.
--   LUA_PATH='tests/vm/?.lua;tests/lua/?.lua' \
--   LUA_CPATH='build/user/lua-modules/?.so' lua5.4 tests/host/memory_test.lua
local t = require'testlib'
local memory = require'memory'

local path = assert(package.searchpath('memory_cases', package.path))
local passed, failed, report = assert(loadfile(path))()

local cases = 0
for line in report:gmatch('[^\n]+') do
  local status, name, message = line:match('^([^\t]+)\t([^\t]+)\t?(.*)$')
  cases = cases + 1
  t.test(name, function()
    if status ~= 'ok' then error(message, 0) end
  end)
end

t.test('the report accounts for every case', function()
  t.ok(cases > 40, 'at least 40 cases, got ' .. cases)
  t.eq(passed + failed, cases)
end)

t.test('memory.pack writes what string.pack does', function()
  local formats = {
    {'<i4 h b', 258, -2, 7},
    {'>I3 J', 0x010203, -1},
    {'!8 b j', 1, 2},
    {'<!4 b Xi4 i4 x', 1, 2},
    {'s1 z c5', 'abc', 'de', 'fg'},
    {'>s4 i16', 'hello', -12345},
    {'<d f n', 1.5, -0.25, 2 ^ 60},
  }
  for _, f in ipairs(formats) do
    local fmt = f[1]
    local want = string.pack(fmt, table.unpack(f, 2))
    local m = memory.create(#want)
    local ok, nextpos = memory.pack(m, fmt, 1, table.unpack(f, 2))
    t.eq(ok, true, fmt)
    t.eq(nextpos, #want + 1, fmt)
    t.eq(memory.tostring(m), want, fmt)
    local got = {memory.unpack(m, fmt)}
    local ref = {string.unpack(fmt, want)}
    t.eq(#got, #ref, fmt)
    for k = 1, #ref do t.eq(got[k], ref[k], fmt .. ' value ' .. k) end
  end
end)

t.test('float formats keep fractions', function()
  local m = memory.create(20)
  t.eq(select(2, memory.pack(m, '<d f n', 1, 0.1, 1.5, -2.75)), 21)
  local d, f, n = memory.unpack(m, '<d f n')
  t.eq(d, 0.1)
  t.eq(f, 1.5)
  t.eq(n, -2.75)
  t.eq(math.type(d), 'float')
end)

t.test('integer arguments refuse floats with a fraction', function()
  t.raises(function() memory.create(1.5) end, 'number has no integer representation')
  local m = memory.create(4)
  t.raises(function() memory.set(m, 1, 1.5) end, 'number has no integer representation')
  t.raises(function() memory.get(m, 1.5) end, 'number has no integer representation')
  t.raises(function() memory.pack(m, 'i4', 1, 0.5) end, 'number has no integer representation')
  memory.set(m, 2.0, 3.0)
  t.eq(memory.get(m, 2), 3, 'floats with integer values are accepted')
end)

t.test('opening the library again gives the same table and metatable', function()
  local file = assert(package.searchpath('memory', package.cpath))
  local open = assert(package.loadlib(file, 'luaopen_memory'))
  local again = open()
  t.eq(again, memory)
  t.eq(getmetatable(memory.create()).__index, memory)
end)

t.test('64 KiB copies are fast', function()
  local m = memory.create(65536)
  local data = string.rep('x', 65536)
  local start = os.clock()
  for _ = 1, 2000 do
    memory.fill(m, data)
    local s = memory.tostring(m)
    local copy = memory.create(s)
    memory.diff(copy, m)
    memory.find(m, 'y')
  end
  local seconds = os.clock() - start
  t.ok(seconds < 5, string.format('2000 rounds took %.2f s', seconds))
end)

t.done()
