-- SPDX-License-Identifier: MIT
-- Kernel Lua follows Lua 5.4 with integer numbers (docs/kernel-lua.md):
-- arithmetic, strings, tables, closures, coroutines, metatables, errors,
-- utf8, the garbage collector and load.
local t = require'testlib'
local lunatik = require'lunatik'

local s = assert(lunatik.session())
local st = assert(s:newstate('kernel_conformance'))

-- Runs code in the kernel and returns its values; fails on a Lua error.
local function run(code)
  local r = table.pack(st:dostring(code))
  if not r[1] then error('kernel error: ' .. tostring(r[2]), 2) end
  return table.unpack(r, 2, r.n)
end

-- Runs code that must fail and returns the message.
local function fails(code)
  local ok, err = st:dostring(code)
  t.eq(ok, nil, 'error expected from: ' .. code)
  return err
end

t.test('integer arithmetic and wrap-around', function()
  t.eq(run('return 1 + 2 * 3 - 4'), 3)
  t.eq(run('return 7 // 2, -7 // 2'), 3)
  t.eq(select(2, run('return 7 // 2, -7 // 2')), -4)
  local a, b, c, d = run('return 7 % 3, -7 % 3, 7 % -3, -7 % -3')
  t.eq(a, 1); t.eq(b, 2); t.eq(c, -2); t.eq(d, -1)
  t.eq(run('return math.maxinteger + 1 == math.mininteger'), true)
  t.eq(run('return math.mininteger // -1'), math.mininteger)
  t.eq(run('return math.mininteger % -1'), 0)
  t.eq(run('return 1 << 62'), 1 << 62)
  t.eq(run('return 0xff ~ 0x0f, 5 & 3, 5 | 3, ~0'), 0xf0)
end)

t.test('/ and ^ give integers: floor division and integer power', function()
  t.eq(run('return 7 / 2'), 3)
  t.eq(run('return -7 / 2'), -4)
  t.eq(run('return 7 / -2'), -4)
  t.eq(run('return 2 ^ 3'), 8)
  t.eq(run('return 2 ^ 62'), 1 << 62)
  t.eq(run('return 2 ^ -1, (-2) ^ -1, 1 ^ -5'), 0)
  t.eq(run('return tostring(7 / 2)'), '3')
  t.eq(run('return math.type(7 / 2), math.type(7 // 2)'), 'float')
  t.eq(run('return math.tointeger(7 / 2)'), 3)
  t.eq(run('return string.format("%d %q", 7 / 2, 7 / 2)'), '3 3')
  t.eq(run('return (7 / 2) // 2, (7 / 2) % 2'), 1)
end)

t.test('division by zero raises an error', function()
  t.contains(fails('local z = 0 return 1 // z'), 'attempt to divide by zero')
  t.contains(fails('local z = 0 return 1 / z'), 'attempt to divide by zero')
  t.contains(fails('local z = 0 return 1 % z'), "attempt to perform 'n%0'")
  t.contains(fails('local z = 0 return z ^ -1'), 'attempt to divide by zero')
  t.eq(run('return 1'), 1, 'state usable')
end)

t.test('division by zero in constant expressions: compiles, raises when run', function()
  t.eq(run('if false then return 0 ^ -1, 1 // 0, 1 / 0, 1 % 0 end return "compiled"'),
    'compiled')
  t.contains(fails('return 0 ^ -1'), 'attempt to divide by zero')
  t.contains(fails('return 1 // 0'), 'attempt to divide by zero')
  t.contains(fails('return 1 % 0'), "attempt to perform 'n%0'")
  t.eq(run('return 2 ^ -1, 3 ^ 2'), 0, 'other powers still fold')
end)

t.test('non-integer numerals are malformed', function()
  t.contains(fails('return 1.5'), "malformed number near '1.5'")
  t.contains(fails('return 1e3'), "malformed number near '1e3'")
  t.eq(run('return tonumber("1.5"), tonumber("42"), tonumber("ff", 16)'),
    nil)
  t.eq(select(2, run('return tonumber("1.5"), tonumber("42")')), 42)
  t.eq(run('return "10" + 5, "3" * "4"'), 15)
end)

t.test('strings and string.format', function()
  t.eq(run('return string.format("%d %s %x %X %5d|%-5d|", 42, "hi", 255, 255, 7, 7)'),
    '42 hi ff FF     7|7    |')
  t.eq(run([[return string.format("%q", "a\nb\0c\"")]]), '"a\\\nb\\0c\\""')
  t.eq(run('return string.format("%5.2s|%c%c", "abcdef", 72, 105)'), '   ab|Hi')
  t.eq(run('return ("hello"):upper(), ("Hello"):lower()'), 'HELLO')
  t.eq(run('return ("abc"):rep(3, "-")'), 'abc-abc-abc')
  t.eq(run('return ("hello world"):find("o w")'), 5)
  t.eq(run('return ("key=val"):match("(%w+)=(%w+)")'), 'key')
  t.eq(run('return (("a,b,c"):gsub(",", ";"))'), 'a;b;c')
  t.eq(run('return ("abc"):byte(2), ("x"):len(), #"\0\0"'), 98)
  t.eq(run('return ("\0a\0"):len()'), 3)
  t.eq(run('return "\0a\0"'), '\0a\0', 'NUL bytes survive the wire')
  t.eq(run('return string.pack("<i4", 258):byte(1, -1)'), 2)
  t.eq(run('return string.unpack("<i8", string.pack("<i8", -5))'), -5)
  t.eq(run('return (""):rep(1 << 62), ("x"):rep(0)'), '')
end)

t.test('string.format refuses floating-point conversions', function()
  for _, c in ipairs{'f', 'g', 'e', 'a', 'E', 'G', 'A', 'F'} do
    t.contains(fails('return string.format("%5.1' .. c .. '", 1)'),
      "invalid conversion '%" .. c .. "' to 'format'")
  end
  t.eq(run('return string.format("100%%")'), '100%')
end)

t.test('tables, table library and sort', function()
  t.eq(run('local t = {5, 2, 8, 1} table.sort(t) return table.concat(t, ",")'),
    '1,2,5,8')
  t.eq(run([[local t = {"b", "c", "a"}
    table.sort(t, function(a, b) return a > b end)
    return table.concat(t)]]), 'cba')
  t.eq(run('local t = {1, 2} table.insert(t, 3) table.insert(t, 1, 0) return table.concat(t)'),
    '0123')
  t.eq(run('local t = {1, 2, 3} return table.remove(t), #t'), 3)
  t.eq(run('return table.unpack({1, 2, 3}, 2)'), 2)
  t.eq(run('return #table.move({1, 2, 3}, 1, 3, 2)'), 4)
  t.eq(run('return select("#", table.unpack({}, 1, 100))'), 100)
  t.eq(run('local t = {} t[2 / 2] = "x" return t[1]'), 'x')
  t.eq(run('local n = 0 for k, v in pairs({a = 1, b = 2, 3}) do n = n + v end return n'), 6)
end)

t.test('closures and varargs', function()
  t.eq(run([[local function counter()
      local n = 0
      return function() n = n + 1 return n end
    end
    local c = counter() c() c()
    return c()]]), 3)
  t.eq(run('local function f(...) return select("#", ...) end return f(nil, nil)'), 2)
end)

t.test('coroutines', function()
  t.eq(run([[local co = coroutine.wrap(function(a)
      local b = coroutine.yield(a + 1)
      return b * 2
    end)
    return co(1) + co(10)]]), 22)
  t.eq(run([[local co = coroutine.create(function() error("in co") end)
    local ok, err = coroutine.resume(co)
    return ok, coroutine.status(co)]]), false)
  t.eq(run('return coroutine.isyieldable()'), false)
  t.eq(run('return coroutine.running() ~= nil'), true)
end)

t.test('metatables', function()
  t.eq(run([[local v = setmetatable({x = 1}, {
      __add = function(a, b) return a.x + b end,
      __index = function(_, k) return k .. "!" end,
      __call = function(self, y) return y * 2 end,
      __len = function() return 42 end,
      __tostring = function() return "V" end,
    })
    return v + 1, v.y, v(21), #v, tostring(v)]]), 2)
  t.eq(select(5, run([[local v = setmetatable({}, {__tostring = function() return "V" end})
    return 1, 2, 3, 4, tostring(v)]])), 'V')
  t.eq(run('return getmetatable("").__index == string'), true)
end)

t.test('error, pcall and xpcall', function()
  t.eq(run('return pcall(error, "x")'), false)
  t.eq(select(2, run('return pcall(error, "x")')), 'x')
  t.eq(select(2, run('return xpcall(error, function(m) return "h:" .. m end, "x")')),
    'h:x')
  t.contains(select(2, run('return pcall(function() local x = nil; return x.y end)')),
    "attempt to index a nil value (local 'x')")
end)

t.test('utf8', function()
  t.eq(run('return utf8.char(228, 8364)'), 'ä€')
  t.eq(run('return utf8.len("äb€")'), 3)
  t.eq(run('return utf8.codepoint("€")'), 8364)
  t.eq(run('local n = 0 for p, c in utf8.codes("aé") do n = n + c end return n'),
    97 + 233)
end)

t.test('integer math library', function()
  t.eq(run('return math.abs(-3), math.max(1, 9, 3), math.min(4, -2)'), 3)
  t.eq(select(2, run('return math.abs(-3), math.max(1, 9, 3)')), 9)
  t.eq(run('return math.sqrt(17), math.fmod(-7, 3)'), 4)
  t.eq(select(2, run('return math.sqrt(17), math.fmod(-7, 3)')), -1)
  t.eq(run('return math.ult(1, -1), math.floor(7 / 2)'), true)
  t.eq(run('local r = math.random(3, 5) return r >= 3 and r <= 5'), true)
  t.eq(run('math.randomseed(42) local a = math.random(1000) math.randomseed(42) return a == math.random(1000)'),
    true)
  t.eq(run('return math.pi, math.sin, math.huge'), nil)
end)

t.test('garbage collector', function()
  local kb = run('return collectgarbage("count")')
  t.eq(math.type(kb), 'integer')
  t.ok(kb > 0, 'count > 0')
  t.eq(run([[local t = {} for i = 1, 1000 do t[i] = {} end
    local before = collectgarbage("count")
    t = nil
    collectgarbage()
    return collectgarbage("count") < before]]), true)
  t.eq(run([[local gone = false
    setmetatable({}, {__gc = function() gone = true end})
    collectgarbage() collectgarbage()
    return gone]]), true)
  t.eq(run([[local closed = false
    do local x <close> = setmetatable({}, {__close = function() closed = true end}) end
    return closed]]), true)
  t.eq(run('return collectgarbage("isrunning"), collectgarbage("step")'), true)
end)

t.test('load takes text and refuses binary chunks', function()
  t.eq(run('return load("return 1 + 1")()'), 2)
  t.eq(run('return load("x = 5; return x", "c", "t", {})()'), 5)
  local ok, msg = run('return load(string.dump(function() return 1 end))')
  t.eq(ok, nil)
  t.contains(msg, 'attempt to load a binary chunk')
  t.eq(run('return load(string.dump(function() end), "b", "b")'), nil,
    'mode "b" cannot re-enable binary chunks')
  local parts = run([[local i = 0
    local f = load(function() i = i + 1 return ({"return ", "40 + 2"})[i] end)
    return f()]])
  t.eq(parts, 42)
end)

t.test('absent libraries and functions', function()
  t.eq(run([[return io == nil and os == nil and debug == nil and
    dofile == nil and loadfile == nil]]), true)
  t.eq(run([[return package.path == nil and package.cpath == nil and
    package.searchers == nil and package.loadlib == nil]]), true,
    'package has no searchers of files or C libraries')
  t.eq(run('return type(memory), type(netlink), type(netlink.send)'),
    'table')
end)

t.test('dostring refuses a binary chunk', function()
  local code = string.dump(function() return 1 end)
  local ok, err = st:dostring(code)
  t.eq(ok, nil)
  t.ok(type(err) == 'string' and #err > 0, 'a message')
  t.eq(run('return 1'), 1, 'state usable')
end)

t.test('result types on the wire', function()
  local r = table.pack(st:dostring('return nil, false, -5, "s", {}'))
  t.eq(r.n, 6); t.eq(r[1], true); t.eq(r[2], nil); t.eq(r[3], false)
  t.eq(r[4], -5); t.eq(r[5], 's')
  t.ok(r[6]:find('^table: '), 'tables as tostring: ' .. r[6])
  -- Larger than one message: comes back in parts (api_reply_test.lua
  -- checks the limit itself).
  local ok, big = st:dostring('return ("x"):rep(70000)')
  t.eq(ok, true)
  t.eq(big, ('x'):rep(70000), 'a 70000-byte result comes back whole')
  t.eq(run('return #("x"):rep(60000)'), 60000)
end)

assert(st:close())
t.done()
