-- The time budget ends a chunk only where the running thread can take the
-- error: an API call that targets another thread (a coroutine that is not
-- running, or the thread that resumed the running one) never raises it.
-- Before, the check inside lua_lock raised on the target thread and
-- longjmp'd through its stale jmp_buf: a kernel panic.
local t = require'testlib'
local lunatik = require'lunatik'

local s = assert(lunatik.session())
local old = s:getstate('kernel_coroutine')
if old then old:close() end
local st = assert(s:newstate('kernel_coroutine', 16 * 1024 * 1024))

local function stopped(code)
  local ok, err = st:dostring(code)
  t.eq(ok, nil, 'an error')
  t.contains(err, 'timeout: chunk ran for more than')
  t.eq(select(2, st:dostring('return 6 * 7')), 42, 'state usable after')
end

t.test('coroutine.status on a suspended and on the resuming thread', function()
  stopped([[
    local m = coroutine.running()
    c = coroutine.create(function()
      while true do pcall(function() while true do coroutine.status(m) end end) end
    end)
    pcall(coroutine.resume, c)
    while true do pcall(function() while true do coroutine.status(c) end end) end]])
end)

t.test('API calls on a dead coroutine in a loop', function()
  stopped([[
    local c = coroutine.create(function() error('x') end)
    coroutine.resume(c)
    while true do pcall(function()
      while true do coroutine.status(c) coroutine.close(c) end
    end) end]])
end)

t.test('a wrapped coroutine runs into the budget', function()
  stopped([[
    local f = coroutine.wrap(function()
      while true do pcall(string.rep, 'x', 10) coroutine.yield() end
    end)
    while true do f() end]])
end)

assert(st:close())
t.done()
