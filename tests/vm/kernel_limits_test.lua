-- SPDX-License-Identifier: MIT
-- The memory limit: a state never holds more than maxalloc bytes, running
-- out is an ordinary Lua error, and the state stays usable.
local t = require'testlib'
local lunatik = require'lunatik'

local s = assert(lunatik.session())

t.test('a memory bomb ends in "not enough memory"; the state survives', function()
  local st = assert(s:newstate('kernel_limits_bomb', 512 * 1024))
  local ok, err = st:dostring([[
    local t = {}
    while true do t[#t + 1] = ("x"):rep(1000) .. #t end]])
  t.eq(ok, nil)
  t.contains(err, 'not enough memory')
  t.ok(st:getcurralloc() <= st:getmaxalloc(), 'curralloc within maxalloc')
  t.eq(select(2, st:dostring('return 6 * 7')), 42, 'state usable')
  assert(st:close())
end)

t.test('one allocation over the limit fails alone', function()
  local st = assert(s:newstate('kernel_limits_big', 256 * 1024))
  local ok, err = st:dostring('return ("x"):rep(300 * 1024)')
  t.eq(ok, nil)
  t.contains(err, 'not enough memory')
  t.eq(select(2, st:dostring('return #("x"):rep(100 * 1024)')), 100 * 1024)
  assert(st:close())
end)

t.test('memory is given back: curralloc drops after a collection', function()
  local st = assert(s:newstate('kernel_limits_free', 4 * 1024 * 1024))
  local base = st:getcurralloc()
  assert(st:dostring('big = {} for i = 1, 20000 do big[i] = i end'))
  local grown = st:getcurralloc()
  t.ok(grown > base + 20000 * 8, ('grew from %d to %d'):format(base, grown))
  assert(st:dostring('big = nil collectgarbage() collectgarbage()'))
  t.ok(st:getcurralloc() < grown - 20000 * 8,
    ('shrank to %d'):format(st:getcurralloc()))
  t.ok(st:getcurralloc() <= st:getmaxalloc())
  assert(st:close())
end)

t.test('a huge single string is refused, not attempted', function()
  local st = assert(s:newstate('kernel_limits_huge'))
  local ok, err = st:dostring('return ("x"):rep(1 << 30)')
  t.eq(ok, nil)
  t.contains(err, 'not enough memory')
  t.eq(select(2, st:dostring('return 1')), 1)
  assert(st:close())
end)

t.test('the smallest maxalloc still opens every library and runs code', function()
  local st = assert(s:newstate('kernel_limits_min', lunatik.minmaxalloc or 64 * 1024))
  t.eq(select(2, st:dostring('return type(string.format), type(memory)')),
    'function')
  t.ok(st:getcurralloc() <= st:getmaxalloc())
  assert(st:close())
end)

t.test('memory bomb through coroutines and closures', function()
  local st = assert(s:newstate('kernel_limits_co', 512 * 1024))
  local ok, err = st:dostring([[
    local all = {}
    while true do
      all[#all + 1] = coroutine.create(function() return all end)
    end]])
  t.eq(ok, nil)
  t.contains(err, 'not enough memory')
  t.eq(select(2, st:dostring('return "alive"')), 'alive')
  assert(st:close())
end)

t.done()
