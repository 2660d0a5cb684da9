-- Errors leave C functions through lunatik_longjmp, skipping their frames.
-- Under KASAN (the debug kernel) those frames' locals are poisoned, and the
-- poison must be cleared on the jump: otherwise the next frames that reuse
-- that stack, Lua's or the kernel's, are reported as stack-out-of-bounds.
-- Elsewhere this checks that such errors leave the state usable.
local t = require'testlib'
local lunatik = require'lunatik'

local s = assert(lunatik.session())
local st = assert(s:newstate('kernel_unwind'))

-- Each raises its error inside a C function with buffers on the stack
-- (string.format, gsub, table.concat and the parser use luaL_Buffer).
local throwers = {
  "string.format('%d', 'x')",
  "string.gsub('aaa', 'a', function() error('in gsub') end)",
  "table.concat({1, {}, 3})",
  "table.sort({3, 2, 1}, function() error('in sort') end)",
  "load(string.rep('(', 300))()",
  "string.rep('x', 1 << 40)",
  "string.format('%q', setmetatable({}, {__tostring = error}))",
}

t.test('errors thrown from C frames, then work on the same stack', function()
  for round = 1, 5 do
    for _, code in ipairs(throwers) do
      local ok, err = st:dostring(code)
      t.eq(ok, nil, code)
      t.ok(type(err) == 'string', 'an error message')
      t.eq(select(2, st:dostring(
        "return #string.format('%s %5d %q', 'a', 15, 'b') + #table.concat({1, 2}, ',')")),
        14, 'state usable after ' .. code)
      local _, n = st:dostring([[
        local n = 0
        for w in ('a b c d'):gmatch('%a') do n = n + #string.rep(w, 50, ',') end
        return n]])
      t.eq(n, 4 * 99, 'round ' .. round)
    end
  end
end)

t.test('errors caught by pcall inside the chunk', function()
  local ok, n = st:dostring([[
    local n = 0
    for i = 1, 200 do
      if not pcall(string.format, '%d', 'x') then n = n + 1 end
      if not pcall(string.gsub, 'ab', '.', function() error('x') end) then
        n = n + 1
      end
      n = n + #string.format('%08d', i) - 8
    end
    return n]])
  t.eq(ok, true)
  t.eq(n, 400)
end)

assert(st:close())
t.done()
