-- SPDX-License-Identifier: MIT
-- Cases for the memory module, as one chunk that runs anywhere the module
-- does: in lua5.4 on the host (tests/host/memory_test.lua) and inside a
-- kernel state (tests/vm/memory_kernel_test.lua). It uses only memory and
-- the base, string and table libraries, and no float literals: kernel
-- numbers are integers.
--
-- Returns the number of cases passed, the number failed, and a report with
-- one line per case: "ok\t<name>" or "not ok\t<name>\t<message>".
local memory = memory or require('memory')

local cases = {}
local function case(name, fn)
  cases[#cases + 1] = {name = name, fn = fn}
end

local function show(v)
  if type(v) == 'string' then return string.format('%q', v) end
  return tostring(v)
end

local function eq(got, want, what)
  if got ~= want then
    error(string.format('%s: expected %s, got %s', what or 'value', show(want),
      show(got)), 2)
  end
end

-- Packs values, nils included, for same().
local function L(...) return {n = select('#', ...), ...} end

-- Compares all the values a call returned with the wanted L(...) list.
local function same(want, ...)
  local n = select('#', ...)
  local got = {...}
  if n ~= want.n then
    local shown = {}
    for i = 1, n do shown[i] = show(got[i]) end
    error(string.format('expected %d values, got %d (%s)', want.n, n,
      table.concat(shown, ', ')), 2)
  end
  for i = 1, n do
    if got[i] ~= want[i] then
      error(string.format('value %d: expected %s, got %s', i, show(want[i]),
        show(got[i])), 2)
    end
  end
end

local function raises(text, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error('expected an error containing ' .. show(text), 2) end
  if not string.find(tostring(err), text, 1, true) then
    error(string.format('expected an error containing %s, got %s', show(text),
      show(err)), 2)
  end
end

local function bytes(m) return memory.tostring(m) end

-- Whether numbers have a float subtype here (not in the kernel).
local hasfloat = (function()
  local ok, v = pcall(function(a, b) return a / b end, 3, 2)
  return ok and v ~= 1
end)()

-- create --------------------------------------------------------------------

case('create() makes an empty resizable memory', function()
  local m = memory.create()
  eq(memory.type(m), 'resizable')
  eq(#m, 0)
  eq(bytes(m), '')
  eq(memory.type(memory.create(nil)), 'resizable', 'create(nil)')
end)

case('create(n) makes n zero bytes, fixed', function()
  local m = memory.create(5)
  eq(memory.type(m), 'fixed')
  eq(#m, 5)
  eq(bytes(m), '\0\0\0\0\0')
  eq(#memory.create(0), 0, 'create(0)')
end)

case('create(n) refuses negative and non-integer sizes', function()
  raises('size must not be negative', memory.create, -1)
  raises('size too large', memory.create, 0x7fffffffffffffff)
  raises('number, string or memory', memory.create, {})
  raises('number, string or memory', memory.create, true)
end)

case('create(s) copies a string, NUL bytes included', function()
  local m = memory.create('a\0b\0')
  eq(memory.type(m), 'fixed')
  eq(#m, 4)
  eq(bytes(m), 'a\0b\0')
  eq(bytes(memory.create('5')), '5', 'a numeric string is contents')
end)

case('create(s, i, j) corrects indices like string.sub', function()
  local s = 'hello'
  for _, r in ipairs({{2, 4}, {-3, -1}, {0, 2}, {-100, 100}, {4, 2},
      {6, 9}, {1, 0}, {-1, -1}, {3, -3}, {5, 5}}) do
    eq(bytes(memory.create(s, r[1], r[2])), string.sub(s, r[1], r[2]),
      'create(s, ' .. r[1] .. ', ' .. r[2] .. ')')
  end
  eq(bytes(memory.create(s, 3)), 'llo', 'j defaults to -1')
  eq(bytes(memory.create(s, -2)), 'lo', 'negative i alone')
  eq(memory.type(memory.create(s, 4, 2)), 'fixed', 'empty slice')
end)

case('create(m [, i, j]) copies a memory into a new one', function()
  local a = memory.create('abcdef')
  local b = memory.create(a)
  memory.set(a, 1, 0x7a)
  eq(bytes(b), 'abcdef', 'copy is independent')
  eq(bytes(memory.create(a, 2, -2)), 'bcde')
  local r = memory.create()
  memory.resize(r, 3, 'xy')
  eq(bytes(memory.create(r)), 'xyx', 'from a resizable memory')
  eq(memory.type(memory.create(r)), 'fixed')
end)

-- type and len --------------------------------------------------------------

case('type tells fixed, resizable, or nil', function()
  eq(memory.type(memory.create(1)), 'fixed')
  eq(memory.type(memory.create()), 'resizable')
  eq(memory.type('abc'), nil, 'string')
  eq(memory.type(1), nil, 'number')
  eq(memory.type({}), nil, 'table')
  eq(memory.type(setmetatable({}, getmetatable(memory.create()))), nil,
    'a table with the memory metatable')
  raises('value expected', memory.type)
end)

case('len and # give the size', function()
  local m = memory.create(7)
  eq(memory.len(m), 7)
  eq(#m, 7)
  local r = memory.create()
  memory.resize(r, 300)
  eq(#r, 300)
  eq(memory.len(r), 300)
  raises('memory expected', memory.len, 'abc')
  raises('memory expected', memory.len, nil)
end)

-- resize --------------------------------------------------------------------

case('resize grows with zeros and shrinks keeping the prefix', function()
  local r = memory.create()
  memory.resize(r, 4)
  eq(bytes(r), '\0\0\0\0')
  memory.set(r, 1, 1, 2, 3, 4)
  memory.resize(r, 6)
  eq(bytes(r), '\1\2\3\4\0\0')
  memory.resize(r, 2)
  eq(bytes(r), '\1\2')
  memory.resize(r, 2)
  eq(bytes(r), '\1\2', 'same size')
  memory.resize(r, 0)
  eq(#r, 0)
  memory.resize(r, 1)
  eq(bytes(r), '\0', 'grows again after 0')
end)

case('resize fills new bytes with copies of s', function()
  local r = memory.create()
  memory.resize(r, 5, 'ab')
  eq(bytes(r), 'ababa')
  memory.resize(r, 8, memory.create('XYZ'))
  eq(bytes(r), 'ababaXYZ', 'pattern from a memory')
  memory.resize(r, 10, '')
  eq(bytes(r), 'ababaXYZ\0\0', 'empty pattern means zeros')
  memory.resize(r, 4, 'q')
  eq(bytes(r), 'abab', 'pattern ignored when shrinking')
end)

case('resize with m itself repeats its old bytes', function()
  local r = memory.create()
  memory.resize(r, 2, 'xy')
  memory.resize(r, 7, r)
  eq(bytes(r), 'xyxyxyx')
end)

case('resize refuses fixed memories and bad arguments, changing nothing', function()
  local f = memory.create('abc')
  raises('resizable memory expected', memory.resize, f, 5)
  eq(bytes(f), 'abc')
  local r = memory.create()
  memory.resize(r, 3, 'k')
  raises('size must not be negative', memory.resize, r, -1)
  raises('string or memory expected', memory.resize, r, 10, {})
  raises('string or memory expected', memory.resize, r, 10, 7)
  eq(bytes(r), 'kkk')
  raises('memory expected', memory.resize, 'abc', 1)
end)

case('resize past available memory raises and keeps the contents', function()
  local r = memory.create()
  memory.resize(r, 3, 'abc')
  raises('not enough memory', memory.resize, r, 1 << 40)
  eq(bytes(r), 'abc')
  eq(memory.type(r), 'resizable')
end)

case('create(n) past available memory raises', function()
  raises('not enough memory', memory.create, 1 << 40)
end)

case('resizable memories are freed by the collector', function()
  -- In a kernel state this exceeds the state's limit unless __gc frees.
  for _ = 1, 40 do
    local r = memory.create()
    memory.resize(r, 1 << 20, 'z')
    eq(memory.get(r, -1), 0x7a)
  end
  collectgarbage()
end)

-- diff ----------------------------------------------------------------------

case('diff finds the first differing byte and the order', function()
  same(L(3, true), memory.diff('abc', 'abd'))
  same(L(3, false), memory.diff('abd', 'abc'))
  same(L(nil, false), memory.diff('abc', 'abc'))
  same(L(nil, false), memory.diff('', ''))
  same(L(3, true), memory.diff('ab', 'abc'))
  same(L(3, false), memory.diff('abc', 'ab'))
  same(L(1, true), memory.diff('', 'a'))
  same(L(1, false), memory.diff('\255', '\1'))  -- bytes compare unsigned
  same(L(2, true), memory.diff('a\0', 'a\1'))  -- NUL bytes count
end)

case('diff takes memories and strings', function()
  local a = memory.create('hello')
  same(L(nil, false), memory.diff(a, 'hello'))
  same(L(5, true), memory.diff('hella', a))
  same(L(nil, false), memory.diff(a, memory.create(a)))
  raises('string or memory expected', memory.diff, 1, 'a')
  raises('string or memory expected', memory.diff, 'a')
end)

-- tostring ------------------------------------------------------------------

case('tostring returns ranges like string.sub', function()
  local s = 'abc\0def'
  local m = memory.create(s)
  eq(memory.tostring(m), s)
  eq(tostring(m), s, '__tostring')
  for _, r in ipairs({{2, 4}, {-3, -1}, {0, 2}, {-100, 100}, {5, 2}, {8, 9},
      {4, 4}}) do
    eq(memory.tostring(m, r[1], r[2]), string.sub(s, r[1], r[2]),
      'tostring(m, ' .. r[1] .. ', ' .. r[2] .. ')')
  end
  eq(memory.tostring(m, 5), 'def', 'j defaults to -1')
  eq(memory.tostring('xyz', 2), 'yz', 'works on strings')
  raises('string or memory expected', memory.tostring, {})
end)

-- get and set ---------------------------------------------------------------

case('get returns byte values', function()
  local m = memory.create('\0\1\127\128\255')
  same(L(0), memory.get(m, 1))
  same(L(0), memory.get(m))  -- i defaults to 1
  same(L(1, 127, 128), memory.get(m, 2, 4))
  same(L(255), memory.get(m, -1))
  same(L(128, 255), memory.get(m, -2, -1))
  same(L(0, 1, 127, 128, 255), memory.get(m, -100, 100))  -- range clamps
  same(L(), memory.get(m, 6))  -- past the end
  same(L(), memory.get(m, 3, 2))  -- empty range
  same(L(), memory.get(memory.create()))  -- empty memory
  raises('memory expected', memory.get, 'abc', 1)
end)

case('set writes bytes from i, ignoring values past the end', function()
  local m = memory.create(4)
  memory.set(m, 1, 65, 66)
  eq(bytes(m), 'AB\0\0')
  memory.set(m, -1, 0x5a)
  eq(bytes(m), 'AB\0Z')
  memory.set(m, 3, 1, 2, 3, 4, 5)
  eq(bytes(m), 'AB\1\2', 'extra values ignored')
  memory.set(m, 2)
  eq(bytes(m), 'AB\1\2', 'no values')
  memory.set(m, -4, 0, 255)
  eq(bytes(m), '\0\255\1\2')
end)

case('set refuses bad indices and values, changing nothing', function()
  local m = memory.create('abcd')
  raises('index out of bounds', memory.set, m, 0, 1)
  raises('index out of bounds', memory.set, m, 5, 1)
  raises('index out of bounds', memory.set, m, -5, 1)
  raises('index out of bounds', memory.set, memory.create(), 1)
  raises('value out of range', memory.set, m, 1, 256)
  raises('value out of range', memory.set, m, 1, -1)
  raises('value out of range', memory.set, m, 1, 1, 2, 300)
  raises('number expected', memory.set, m, 1, 'x')
  eq(bytes(m), 'abcd')
  raises('memory expected', memory.set, 'abcd', 1, 1)
end)

-- find ----------------------------------------------------------------------

case('find returns the first and last index of a match', function()
  local m = memory.create('abcabc')
  same(L(2, 3), memory.find(m, 'bc'))
  same(L(5, 6), memory.find(m, 'bc', 3))
  same(L(5, 6), memory.find(m, 'bc', -2))
  same(L(1, 6), memory.find(m, 'abcabc'))
  same(L(nil), memory.find(m, 'abd'))
  same(L(nil), memory.find(m, 'abcabcx'))  -- longer than m
  same(L(2, 3), memory.find('abcabc', memory.create('bc')))  -- string and memory
end)

case('find keeps the match within i..j', function()
  same(L(nil), memory.find('abcabc', 'bc', 1, 2))
  same(L(2, 3), memory.find('abcabc', 'bc', 1, 3))
  same(L(nil), memory.find('abcabc', 'bc', 4, 5))
  same(L(nil), memory.find('abcabc', 'a', 4, 3))  -- empty range
  same(L(nil), memory.find('abcabc', 'a', 7))  -- past the end
  same(L(1, 1), memory.find('abcabc', 'a', -100, 100))  -- range clamps
end)

case('find uses s from o', function()
  same(L(2, 3), memory.find('abcabc', 'xxbc', 1, -1, 3))
  same(L(3, 3), memory.find('abcabc', 'zzc', 1, -1, -1))
  same(L(1, 3), memory.find('abcabc', 'abc', 1, -1, 0))  -- o below 1 means 1
  same(L(1, 3), memory.find('abcabc', 'abc', 1, -1, -10))
  same(L(nil), memory.find('abcabc', 'abc', 1, -1, 4))  -- o past the end of s
  same(L(nil), memory.find('abcabc', ''))  -- empty s has no contents
end)

case('find handles binary data', function()
  local m = memory.create('a\0b\0c\0')
  same(L(4, 5), memory.find(m, '\0c'))
  same(L(2, 2), memory.find(m, '\0'))
  same(L(6, 6), memory.find(m, '\0', 5))
  same(L(nil), memory.find(m, '\0\0'))
  raises('string or memory expected', memory.find, m, 0)
end)

-- fill ----------------------------------------------------------------------

case('fill sets a byte value over a range', function()
  local m = memory.create(6)
  memory.fill(m, 0x41)
  eq(bytes(m), 'AAAAAA')
  memory.fill(m, 0x42, 2, 3)
  eq(bytes(m), 'ABBAAA')
  memory.fill(m, 0, -2)
  eq(bytes(m), 'ABBA\0\0')
  memory.fill(m, 0x43, -100, 1)
  eq(bytes(m), 'CBBA\0\0', 'i clamps')
  memory.fill(m, 0x44, 6, 100)
  eq(bytes(m), 'CBBA\0D', 'j clamps')
  memory.fill(m, 0x45, 4, 3)
  eq(bytes(m), 'CBBA\0D', 'empty range')
  memory.fill(m, 0x46, 7, 9)
  eq(bytes(m), 'CBBA\0D', 'range past the end')
end)

case('fill copies a string or memory repeatedly', function()
  local m = memory.create(7)
  memory.fill(m, 'ab')
  eq(bytes(m), 'abababa')
  memory.fill(m, 'xyz', 2, 6)
  eq(bytes(m), 'axyzxya')
  memory.fill(m, '123', 1, 4, 2)
  eq(bytes(m), '2323xya', 'from o')
  memory.fill(m, '123', 5, -1, -1)
  eq(bytes(m), '2323333', 'negative o')
  memory.fill(m, 'q', 1, -1, 2)
  eq(bytes(m), '2323333', 'o past the end of s: no effect')
  memory.fill(m, '', 1, -1)
  eq(bytes(m), '2323333', 'empty s: no effect')
  memory.fill(m, memory.create('\0\1'), 1, 3)
  eq(bytes(m), '\0\1\0' .. '3333', 'memory pattern with NUL bytes')
  memory.fill(m, '7')
  eq(bytes(m), '7777777', 'a numeric string is contents')
end)

case('fill from m itself copies its bytes as they were', function()
  local m = memory.create('abcdef')
  memory.fill(m, m, 1, 6, 4)
  eq(bytes(m), 'defdef')
  m = memory.create('abcdef')
  memory.fill(m, m, 2)
  eq(bytes(m), 'aabcde')
  m = memory.create('abcdef')
  memory.fill(m, m, 1, 5, 2)
  eq(bytes(m), 'bcdeff')
end)

case('fill of 64 KiB with a pattern', function()
  local m = memory.create(65536)
  local pattern = 'lunatik!'
  memory.fill(m, pattern)
  eq(bytes(m), string.rep(pattern, 8192))
  memory.fill(m, 'abc', 2, -2)
  eq(memory.tostring(m, 1, 7), 'labcabc')
  eq(memory.tostring(m, -4), 'cab!')
end)

case('fill refuses bad values, changing nothing', function()
  local m = memory.create('abcd')
  raises('value out of range', memory.fill, m, 256)
  raises('value out of range', memory.fill, m, -1)
  raises('string or memory expected', memory.fill, m, {})
  raises('number expected', memory.fill, m, 'x', 'y')
  eq(bytes(m), 'abcd')
  raises('memory expected', memory.fill, 'abcd', 0)
end)

-- pack and unpack -----------------------------------------------------------

case('pack writes integers in either byte order', function()
  local m = memory.create(8)
  same(L(true, 5), memory.pack(m, '<i4', 1, 258))
  eq(memory.tostring(m, 1, 4), '\2\1\0\0')
  same(L(true, 9), memory.pack(m, '>i4', 5, 258))
  eq(memory.tostring(m, 5, 8), '\0\0\1\2')
  same(L(true, 5), memory.pack(m, '<i2>i2', 1, -2, 0x0102))
  eq(memory.tostring(m, 1, 4), '\254\255\1\2')
end)

case('pack and unpack every integer size', function()
  local m = memory.create(64)
  local fmt = '<b B h H i3 I3 j J i16 I7'
  local values = {-128, 255, -32768, 65535, -8388608, 16777215,
    -0x7fffffffffffffff - 1, -1, -2, 0xffffffffffffff}
  same(L(true, 1 + 1 + 1 + 2 + 2 + 3 + 3 + 8 + 8 + 16 + 7),
    memory.pack(m, fmt, 1, table.unpack(values)))
  local got = {memory.unpack(m, fmt)}
  eq(#got, #values + 1)
  for k = 1, #values do eq(got[k], values[k], 'value ' .. k) end
  eq(got[#got], 52, 'next position')
end)

case('unpack sign-extends and checks wide integers', function()
  same(L(-1, 3), memory.unpack('\255\255', '<i2'))
  same(L(65535, 3), memory.unpack('\255\255', '<I2'))
  same(L(-2, 2), memory.unpack('\254', 'b'))
  same(L(1, 17), memory.unpack('\1' .. string.rep('\0', 15), '<i16'))
  same(L(-1, 17), memory.unpack(string.rep('\255', 16), '<i16'))
  raises('does not fit', memory.unpack, '\0\0\0\0\0\0\0\0\1' ..
    string.rep('\0', 7), '<i16')
  local m = memory.create(16)
  memory.pack(m, '>i16', 1, -3)
  eq(bytes(m), string.rep('\255', 15) .. '\253', 'sign extension')
end)

case('pack checks integer ranges', function()
  local m = memory.create(8)
  raises('integer overflow', memory.pack, m, 'b', 1, 128)
  raises('integer overflow', memory.pack, m, 'b', 1, -129)
  raises('unsigned overflow', memory.pack, m, 'B', 1, 256)
  raises('unsigned overflow', memory.pack, m, 'B', 1, -1)
  raises('integer overflow', memory.pack, m, 'i2', 1, 32768)
  raises('number expected', memory.pack, m, 'i4', 1, 'x')
  raises('number expected', memory.pack, m, 'i4 i4', 1, 1)
  eq(bytes(m), string.rep('\0', 8))
end)

case('pack and unpack strings: s, z and c', function()
  local m = memory.create(32)
  same(L(true, 12), memory.pack(m, '<s1 z c4', 1, 'abc', 'de', 'f'))
  eq(memory.tostring(m, 1, 11), '\3abcde\0f\0\0\0')
  same(L('abc', 'de', 'f\0\0\0', 12), memory.unpack(m, '<s1 z c4'))
  same(L(true, 6), memory.pack(m, '>s2', 1, memory.create('xyz')))
  same(L('xyz', 6), memory.unpack(m, '>s2'))
  same(L(true, 5), memory.pack(m, 'c0 c4', 1, '', 'wxyz'))
  same(L('', 'wxyz', 5), memory.unpack(m, 'c0 c4'))
  same(L('a\0b', 5), memory.unpack('\3a\0b', 's1'))  -- s keeps NUL bytes
end)

case('pack refuses strings that do not fit their format', function()
  local m = memory.create(300)
  raises('does not fit', memory.pack, m, 's1', 1, string.rep('x', 256))
  raises('contains zeros', memory.pack, m, 'z', 1, 'a\0b')
  raises('longer than given size', memory.pack, m, 'c2', 1, 'abc')
  raises('missing size', memory.pack, m, 'c', 1, 'abc')
  eq(bytes(m), string.rep('\0', 300))
end)

case('unpack refuses data that is too short', function()
  raises('data too short', memory.unpack, '\1\2\3', 'i4')
  raises('data too short', memory.unpack, '\5ab', 's1')
  raises('data too short', memory.unpack, 'ab', 'c3')
  raises('unfinished string', memory.unpack, 'abc', 'z')
  raises('data too short', memory.unpack, '\1\2\3\4', 'i4', 2)
end)

case('pack pads with x and aligns with ! and X', function()
  local m = memory.create(16)
  memory.fill(m, 0xee)
  same(L(true, 9), memory.pack(m, '<!4 b Xi4 i4', 1, 1, 2))
  eq(memory.tostring(m, 1, 8), '\1\0\0\0\2\0\0\0', 'padding is zero')
  same(L(1, 2, 9), memory.unpack(m, '<!4 b Xi4 i4'))
  same(L(true, 4), memory.pack(m, 'bxb', 1, 7, 8))
  eq(memory.tostring(m, 1, 3), '\7\0\8')
  same(L(7, 8, 4), memory.unpack(m, 'bxb'))
  same(L(true, 9), memory.pack(m, '<!4 i4', 2, 5))  -- aligned from the start of m
  eq(memory.tostring(m, 5, 8), '\5\0\0\0')
  same(L(5, 9), memory.unpack(m, '<!4 i4', 2))
  same(L(true, 3), memory.pack(m, '<!2 i2', 1, 3))  -- !2 caps i2 alignment
  raises('not power of 2', memory.pack, m, '!3 i3', 1, 1)
  raises('invalid next option', memory.pack, m, 'X', 1)
  raises('invalid next option', memory.pack, m, 'Xc1', 1)
end)

case('pack positions: negative, end of m, out of bounds', function()
  local m = memory.create(4)
  same(L(true, 5), memory.pack(m, 'b', -1, 9))
  eq(memory.get(m, 4), 9)
  same(L(true, 5), memory.pack(m, '', 5))  -- i = #m + 1 is valid
  same(L(true, 2), memory.pack(m, 'B', -4, 200))
  eq(memory.get(m, 1), 200)
  raises('index out of bounds', memory.pack, m, 'b', 6, 1)
  raises('index out of bounds', memory.pack, m, 'b', 0, 1)
  raises('index out of bounds', memory.pack, m, 'b', -5, 1)
  raises('number expected', memory.pack, m, 'b')
  raises('memory expected', memory.pack, 'abcd', 'b', 1, 1)
end)

case('pack stops at the first value that does not fit', function()
  local m = memory.create(5)
  same(L(false, 5, 3, 4), memory.pack(m, '<i2 i2 i2 i2', 1, 1, 2, 3, 4))
  eq(bytes(m), '\1\0\2\0\0', 'values that fit are written')
  same(L(false, 1, 'abcdefg'), memory.pack(m, 's1', 1, 'abcdefg'))
  eq(bytes(m), '\1\0\2\0\0', 'a length prefix alone is not written')
  same(L(false, 6), memory.pack(m, 'i2 i2 x x', 1, 1, 2))
  same(L(false, 5, 'ab', 5), memory.pack(m, 'b z b', 4, 1, 'ab', 5))
  eq(memory.get(m, 4), 1)
  same(L(true, 6), memory.pack(m, 'i2 i2 x', 1, 1, 2))  -- x fits at the end
end)

case('pack checks every value before writing any', function()
  local m = memory.create(8)
  raises('integer overflow', memory.pack, m, 'b b b', 1, 1, 2, 1000)
  raises('number expected', memory.pack, m, 'i4 i4 i4', 1, 1, 2, {})
  eq(bytes(m), string.rep('\0', 8))
end)

case('pack and unpack reject invalid formats', function()
  local m = memory.create(8)
  raises('invalid format option', memory.pack, m, 'y', 1, 1)
  raises('invalid format option', memory.unpack, m, 'q')
  raises('out of limits', memory.pack, m, 'i17', 1, 1)
  raises('out of limits', memory.unpack, m, 'i0')
  raises('string expected', memory.unpack, m)
end)

case('unpack positions', function()
  local s = '\1\2\3\4'
  same(L(3, 4, 5), memory.unpack(s, 'BB', 3))
  same(L(4, 5), memory.unpack(s, 'B', -1))
  same(L(5), memory.unpack(s, '', 5))
  same(L(1, 2, 3), memory.unpack(memory.create(s), 'BB'))
  raises('initial position out of bounds', memory.unpack, s, 'B', 6)
  raises('initial position out of bounds', memory.unpack, s, 'B', 0)
  raises('initial position out of bounds', memory.unpack, s, 'B', -5)
  raises('string or memory expected', memory.unpack, 1, 'B')
end)

case('float formats work with floats and are refused without', function()
  local m = memory.create(16)
  if hasfloat then
    same(L(true, 13), memory.pack(m, '<d f', 1, 3, 5))
    same(L(3, 5, 13), memory.unpack(m, '<d f'))
    same(L(true, 9), memory.pack(m, '>n', 1, -7))
    same(L(-7, 9), memory.unpack(m, '>n'))
  else
    for _, opt in ipairs({'f', 'd', 'n'}) do
      raises('floating point', memory.pack, m, opt, 1, 1)
      raises('floating point', memory.unpack, m, opt)
    end
  end
end)

-- metamethods and method style -----------------------------------------------

case('methods work through the metatable', function()
  local m = memory.create('hello')
  eq(m:type(), 'fixed')
  eq(m:len(), 5)
  same(L(104), m:get(1))
  m:set(1, 72)
  eq(m:tostring(), 'Hello')
  same(L(3, 4), m:find('ll'))
  m:fill(0x21, -1)
  eq(m:tostring(), 'Hell!')
  same(L(2, false), m:diff('H'))
  same(L(true, 3), m:pack('>H', 1, 0x4142))
  same(L(0x4142, 3), m:unpack('>H'))
  local r = memory.create()
  r:resize(3, 'ab')
  eq(r:tostring(), 'aba')
  eq(memory.get, m.get, 'same functions as the table')
  eq(getmetatable(m).__name, 'memory')
  eq(getmetatable(m), getmetatable(r), 'one metatable')
end)

case('.. concatenates memories, strings and numbers into a string', function()
  local m = memory.create('ab')
  eq(m .. 'c', 'abc')
  eq('z' .. m, 'zab')
  eq(m .. m, 'abab')
  eq(m .. 5, 'ab5')
  eq(type(m .. ''), 'string')
  eq(memory.create('a\0') .. '\0b', 'a\0\0b', 'binary')
  raises('attempt to concatenate', function() return m .. {} end)
  raises('attempt to concatenate', function() return true .. m end)
  local t = setmetatable({}, {__concat = function() return 'meta' end})
  eq(m .. t, 'meta', "the other operand's __concat")
end)

case('<close> empties a resizable memory for good', function()
  local kept
  do
    local r <close> = memory.create()
    r:resize(10, 'x')
    kept = r
  end
  eq(#kept, 0)
  eq(memory.type(kept), 'fixed')
  raises('resizable memory expected', memory.resize, kept, 1)
  do
    local f <close> = memory.create('abc')
    kept = f
  end
  eq(bytes(kept), 'abc', 'a fixed memory is left alone')
end)

case('metamethods called directly check their argument', function()
  local mt = getmetatable(memory.create())
  raises('memory expected', mt.__gc, {})
  raises('memory expected', mt.__close, 'abc')
  raises('memory expected', mt.__len, 1)
  local r = memory.create()
  r:resize(4, 'q')
  mt.__gc(r)
  eq(#r, 0, '__gc leaves an empty memory')
  r:resize(2, 'w')
  eq(bytes(r), 'ww')
end)

-- run -----------------------------------------------------------------------

local passed, failed, lines = 0, 0, {}
for _, c in ipairs(cases) do
  local ok, err = pcall(c.fn)
  if ok then
    passed = passed + 1
    lines[#lines + 1] = 'ok\t' .. c.name
  else
    failed = failed + 1
    lines[#lines + 1] = 'not ok\t' .. c.name .. '\t' ..
      string.gsub(tostring(err), '%s+', ' ')
  end
end
return passed, failed, table.concat(lines, '\n')
