-- SPDX-License-Identifier: MIT
-- Code that never ends is stopped by the time budget (the module
-- parameter timeout_ms, 5000 ms by default) with an error, also inside C
-- loops that never reach a Lua instruction; the state stays usable.
local t = require'testlib'
local lunatik = require'lunatik'

local s = assert(lunatik.session())
local st = assert(s:newstate('kernel_runaway'))

-- The VM may load the module with another budget (the debug kernel does).
local param = io.open('/sys/module/lunatik/parameters/timeout_ms')
local budget = param and tonumber(param:read('l')) or 5000
if param then param:close() end
local function stopped(code)
  local start = os.time()
  local ok, err = st:dostring(code)
  local took = os.time() - start
  t.eq(ok, nil, 'an error')
  t.contains(err, 'timeout: chunk ran for more than ' .. budget .. ' ms')
  t.ok(took <= budget // 1000 + 10, 'stopped after ' .. took .. ' s')
  t.eq(select(2, st:dostring('return 6 * 7')), 42, 'state usable after')
  return err
end

t.test('while true do end', function()
  local err = stopped('while true do end')
  t.contains(err, 'lua in kernel:1:', 'located in the chunk')
end)

t.test('a loop that catches every error', function()
  stopped('while true do pcall(function() while true do end end) end')
end)

t.test('backtracking pattern', function()
  stopped('return string.find(("a"):rep(30), ("a?"):rep(30) .. ("a"):rep(30))')
end)

t.test('C loop of API calls: table.move over 2^63 slots', function()
  stopped('return table.move({}, 1, math.maxinteger - 1, 2)')
end)

t.test('runaway receive_callback', function()
  assert(st:dostring('function receive_callback(m) while true do end end'))
  local ok, err = st:send('data')
  t.eq(ok, nil)
  t.contains(err, 'timeout')
  t.eq(select(2, st:dostring('receive_callback = nil return 1')), 1)
end)

t.test('a looping finalizer is stopped; so is one at close', function()
  -- Lua runs finalizers with hooks off; kernel Lua turns them back on.
  local st2 = assert(s:newstate('kernel_runaway_gc'))
  local start = os.time()
  local ok, err = st2:dostring([[
    setmetatable({}, {__gc = function() while true do end end})
    collectgarbage()
    return "after"]])
  -- the error in __gc is only a warning, but the budget is spent: the
  -- chunk ends at its next instruction
  t.eq(ok, nil, 'the chunk is over its budget')
  t.contains(err, 'timeout')
  t.ok(os.time() - start <= budget // 1000 + 10, 'stopped in time')
  t.eq(select(2, st2:dostring('return "usable"')), 'usable')
  assert(st2:dostring([[
    local mt = {__gc = function() end}
    keep = setmetatable({}, mt)
    mt.__gc = function() while true do end end]]))
  start = os.time()
  t.eq(st2:close(), true)
  t.ok(os.time() - start <= budget // 1000 + 10, 'close stopped in time')
end)

t.test('long but finite work completes', function()
  local ok, n = st:dostring(
    'local n = 0 for w in ("x "):rep(20000):gmatch("%a+") do n = n + 1 end return n')
  t.eq(ok, true)
  t.eq(n, 20000)
end)

assert(st:close())
t.done()
