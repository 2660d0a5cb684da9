-- Loops in C that run no Lua instruction, so the count hook never sees
-- them, check the time budget as they go (explicit checkpoints weighted by
-- their work). Each case runs one library call whose work grows with its
-- input, under a short budget (the module parameter timeout_ms), and
-- expects the timeout from inside that call. Without a checkpoint the call
-- runs to its end (or for hours) and the chunk returns.
local t = require'testlib'
local lunatik = require'lunatik'

local param = '/sys/module/lunatik/parameters/timeout_ms'
local function setbudget(ms)
  local f = assert(io.open(param, 'w'))
  assert(f:write(tostring(ms)))
  assert(f:close())
end
local function getbudget()
  local f = assert(io.open(param))
  local v = assert(tonumber(f:read('l')))
  f:close()
  return v
end
local now = t.uptime

local default = getbudget()
local short = 100

local s = assert(lunatik.session())
local old = s:getstate('kernel_cloops')
if old then old:close() end
local st = assert(s:newstate('kernel_cloops', 256 * 1024 * 1024))

-- Builds the input under the normal budget, then runs @code under the
-- short one: it must end in a timeout, and the state must stay usable.
local function stopped(setup, code, budget)
  budget = budget or short
  if setup then
    local ok, err = st:dostring(setup)
    assert(ok, err)
  end
  setbudget(budget)
  local start = now()
  local ok, err = st:dostring(code)
  local took = now() - start
  setbudget(default)
  print(('# %.2f s: %s'):format(took, code))
  t.eq(ok, nil, 'an error (the call ran to its end: no checkpoint)')
  t.contains(err, 'timeout: chunk ran for more than ' .. budget .. ' ms')
  -- a checkpoint comes within milliseconds; TCG and a shared CPU are slow
  t.ok(took < budget / 1000 + 3, ('stopped %.2f s after a %d ms budget'):format(took, budget))
  t.eq(select(2, st:dostring('x = nil collectgarbage() return 6 * 7')), 42,
    'state usable after')
end

local big = 'x = ("x"):rep(1024):rep(32 * 1024)'  -- 32 MiB

-- Quadratic or unbounded: far over even the default budget.
t.test('table.move over 2^63 slots', function()
  stopped(nil, 'return table.move({}, 1, math.maxinteger - 1, 2)')
end)
t.test('table.insert under a __len of maxinteger', function()
  stopped(nil, [[return table.insert(setmetatable({}, {__len = function()
    return math.maxinteger - 1 end}), 1, 'v')]])
end)
t.test('table.remove under a __len of maxinteger', function()
  stopped(nil, [[return table.remove(setmetatable({}, {__len = function()
    return math.maxinteger end}), 1)]])
end)
t.test('plain string.find: O(n * m)', function()
  stopped('x = ("a"):rep(400000) y = ("a"):rep(200000) .. "b"',
    'return x:find(y, 1, true)', default)
end)
t.test('memory.find: O(n * m)', function()
  stopped('x = memory.create(("a"):rep(400000)) y = ("a"):rep(200000) .. "b"',
    'return x:find(y)', default)
end)
t.test('string.gsub: a long replacement of empty captures at each match', function()
  stopped('x = ("a"):rep(10000) y = ("%0"):rep(10000)',
    'return #x:gsub("", y)')
end)

-- Linear in the state's memory: over a short budget.
t.test('table.sort', function()
  stopped('x = {("\0\1\2\3\4\5\6\7\8\9"):rep(80000):byte(1, -1)}',
    'table.sort(x) return #x')
end)
t.test('table.concat', function()
  stopped('x = {("abcd"):rep(200000):byte(1, -1)}',
    'return #table.concat(x, ",")')
end)
t.test('string.rep', function()
  stopped(nil, 'return #("x"):rep(32 * 1024 * 1024)')
end)
t.test('string.reverse', function()
  stopped(big, 'return #x:reverse()')
end)
t.test('string.upper', function()
  stopped(big, 'return #x:upper()')
end)
t.test('string.format with a long format', function()
  stopped(big, 'return #string.format(x)')
end)
t.test('string.format %q', function()
  stopped('x = ("\\0"):rep(1024):rep(16 * 1024)',
    'return #string.format("%q", x)')
end)
t.test('string.packsize with a long format', function()
  stopped('x = (" "):rep(1024):rep(32 * 1024)',
    'return string.packsize(x)')
end)
t.test('tonumber(s, base) of a long numeral', function()
  stopped('x = ("1"):rep(1024):rep(32 * 1024)', 'return tonumber(x, 10)')
end)
t.test('utf8.len', function()
  stopped(big, 'return utf8.len(x)')
end)
t.test('utf8.offset', function()
  stopped(big, 'return utf8.offset(x, #x)')
end)
t.test('memory.diff', function()
  stopped('x = memory.create(32 * 1024 * 1024) y = memory.create(#x)',
    'return x:diff(y)')
end)

-- Checkpoints must not cost: a long but bounded job completes.
t.test('bounded work under the normal budget completes', function()
  local ok, n = st:dostring([[
    local s = ("ab"):rep(100000)
    local t = {} for i = 1, 10000 do t[i] = i end
    table.sort(t, function(a, b) return a > b end)
    return #s:rep(10) + #table.concat(t) + utf8.len(s) + select(2, s:gsub("a", "%0"))
      + (s:find("ba", 1, true))]])
  t.eq(ok, true, tostring(n))
  t.eq(n, 2000000 + 38894 + 200000 + 100000 + 2)
end)

setbudget(default)
assert(st:close())
t.done()
