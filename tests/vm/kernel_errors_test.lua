-- SPDX-License-Identifier: MIT
-- Error messages name the chunk (its codename, or 'lua in kernel') and the
-- line, and carry a traceback.
local t = require'testlib'
local lunatik = require'lunatik'

local s = assert(lunatik.session())
local st = assert(s:newstate('kernel_errors'))

t.test('runtime error names the codename and line', function()
  local ok, err = st:dostring('error("boom")', 'mychunk')
  t.eq(ok, nil)
  t.contains(err, 'mychunk:1: boom')
  t.contains(err, 'stack traceback:')
end)

t.test('default codename is "lua in kernel"', function()
  local ok, err = st:dostring('\n\nerror("boom")')
  t.eq(ok, nil)
  t.contains(err, 'lua in kernel:3: boom')
end)

t.test('traceback lists the functions', function()
  local _, err = st:dostring([[
local function inner() error("deep") end
local function outer() inner() end
outer()]], 'tb')
  t.contains(err, 'tb:1: deep')
  t.contains(err, "'inner'")
  t.contains(err, "in local 'outer'")
  t.contains(err, 'in main chunk')
end)

t.test('syntax errors name the chunk', function()
  local ok, err = st:dostring('x = = 1', 'syn')
  t.eq(ok, nil)
  t.contains(err, "syn:1: unexpected symbol near '='")
end)

t.test('non-string error objects', function()
  local _, err = st:dostring('error({})')
  t.contains(err, '(error object is a table value)')
  _, err = st:dostring('error(setmetatable({}, {__tostring = function() return "custom" end}))')
  t.contains(err, 'custom')
  _, err = st:dostring('error(42)')
  t.contains(err, '42')
end)

t.test('error with level 0 carries no position', function()
  local _, err = st:dostring('error("plain", 0)', 'c')
  t.eq(err:match('^[^\n]*'), 'plain')
end)

t.test('receive_callback missing or raising', function()
  local ok, err = st:send('x')
  t.eq(ok, nil)
  t.contains(err, 'receive_callback is not defined')
  assert(st:dostring('function receive_callback(m) error("cb " .. #m) end', 'cbchunk'))
  ok, err = st:send('abc')
  t.eq(ok, nil)
  t.contains(err, 'cbchunk:1: cb 3')
  assert(st:dostring('function receive_callback(m) got = m:tostring() end'))
  t.eq(st:send('hello'), true)
  t.eq(select(2, st:dostring('return got')), 'hello')
end)

t.test('netlink.send errors are values, bad arguments raise', function()
  local ok, err = st:dostring('return netlink.send({})')
  t.eq(ok, nil)
  t.contains(err, 'memory or string expected')
  local r = table.pack(st:dostring('return netlink.send(("x"):rep(64 * 1024 + 1))'))
  t.eq(r[1], true)
  t.eq(r[2], nil)
  t.contains(r[3], 'data too large')
end)

t.test('print goes to the kernel log and returns nothing', function()
  local r = table.pack(st:dostring('return print("hello", 1, nil, true)'))
  t.eq(r[1], true)
  t.eq(r.n, 1)
end)

assert(st:close())
t.done()
