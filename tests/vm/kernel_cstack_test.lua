-- SPDX-License-Identifier: MIT
-- Deep recursion through C, through the parser and through coroutines
-- ends in a Lua error, never in a kernel stack overflow, and the state
-- stays usable (limits: docs/kernel-lua.md).
local t = require'testlib'
local lunatik = require'lunatik'

local s = assert(lunatik.session())
local st = assert(s:newstate('kernel_cstack', 4 * 1024 * 1024))

local function overflows(code, text)
  local ok, err = st:dostring(code)
  t.eq(ok, nil, 'an error')
  t.contains(err, text or 'stack overflow')
  t.eq(select(2, st:dostring('return 6 * 7')), 42, 'state usable after')
  return err
end

t.test('5000 nested parentheses', function()
  overflows('return ' .. ('('):rep(5000) .. '1' .. (')'):rep(5000))
end)

t.test('5000 nested table constructors', function()
  overflows('return ' .. ('{'):rep(5000) .. ('}'):rep(5000))
end)

t.test('5000 nested functions in the parser', function()
  overflows(('return function() '):rep(5000) .. ('end '):rep(5000))
end)

t.test('moderate nesting still parses', function()
  t.eq(select(2, st:dostring('return ' .. ('('):rep(30) .. '1' ..
    (')'):rep(30))), 1)
end)

t.test('__index recursion', function()
  local err = overflows(
    'return setmetatable({}, {__index = function(t, k) return t[k + 1] end})[1]')
  t.contains(err, 'stack traceback', 'the message handler ran')
end)

t.test('gsub callback recursion', function()
  overflows('local function f() return ("x"):gsub(".", f) end return f()')
end)

t.test('pcall nesting', function()
  local ok, v1 = st:dostring('local function f() return pcall(f) end return f()')
  t.eq(ok, true, 'pcall catches the overflow')
  t.eq(v1, true)
  local r = table.pack(st:dostring('local function f() return pcall(f) end return f()'))
  t.contains(r[r.n], 'stack overflow')
end)

t.test('table.sort comparator recursion', function()
  overflows([[local function f()
    local t = {3, 2, 1}
    table.sort(t, function(a, b) f() return a < b end)
  end
  return f()]])
end)

t.test('__tostring recursion', function()
  overflows([[local function f()
    return tostring(setmetatable({}, {__tostring = f}))
  end
  return f()]])
end)

t.test('string.format %s recursion', function()
  overflows([[local function f()
    return string.format("%s", setmetatable({}, {__tostring = f}))
  end
  return f()]])
end)

t.test('recursive coroutines', function()
  overflows('local function f() return coroutine.wrap(f)() end return f()')
  overflows([[local function f()
    local co = coroutine.create(f)
    local ok, err = coroutine.resume(co)
    error(err, 0)
  end
  return f()]])
end)

t.test('Lua recursion ends in an error', function()
  -- A small state, so that the debug kernel, where every allocation is
  -- checked, reaches the limit well inside the time budget too.
  local small = assert(s:newstate('kernel_cstack_rec', 512 * 1024))
  local ok, err = small:dostring('local function f(n) return f(n + 1) + 1 end return f(1)')
  t.eq(ok, nil)
  t.ok(err:find('stack overflow') or err:find('not enough memory') or
    err:find('error in error handling'), err)
  t.eq(select(2, small:dostring('return 1')), 1)
  small:close()
end)

t.test('deep pattern recursion', function()
  overflows('return ("a"):rep(1000):find(("(a)"):rep(32) .. ("a?"):rep(500))',
    'pattern too complex')
  -- Deeper in the stack, which error comes first depends on the stack
  -- the kernel leaves (KASAN's frames are larger): either is clean.
  local ok, err = st:dostring([[local function f(d)
      if d == 0 then return ("a"):rep(300):find(("a?"):rep(300)) end
      return f(d - 1) + 0
    end
    return f(20)]])
  t.eq(ok, nil, 'an error')
  t.ok(err:find('pattern too complex', 1, true) or
    err:find('C stack overflow', 1, true), err)
  t.eq(select(2, st:dostring('return 6 * 7')), 42, 'state usable after')
end)

assert(st:close())
t.done()
