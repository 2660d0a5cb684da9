-- A state keeps the chunks it compiled, by name and text, so that sending
-- the same short chunk again skips the compiler. Reusing one must be
-- indistinguishable from compiling it again: fresh locals and closures on
-- every run, each codename in its messages, errors every time, an _ENV
-- the previous run changed not seen by the next; and the cache gives its
-- memory back to a collection.
local t = require'testlib'
local lunatik = require'lunatik'

local s = assert(lunatik.session())

local function fresh(name, maxalloc)
  local old = s:getstate(name)
  if old then old:close() end
  return assert(s:newstate(name, maxalloc))
end

t.test('a repeated chunk runs afresh each time', function()
  local st = fresh('chunks_fresh')
  local code = 'local n = (n or 0) + 1; runs = (runs or 0) + 1\n' ..
    'fns = fns or {}; fns[#fns + 1] = function() return runs end\n' ..
    'return n, runs, #fns == 1 or fns[1] ~= fns[#fns]'
  for i = 1, 3 do
    local ok, n, runs, distinct = st:dostring(code)
    t.eq(ok, true)
    t.eq(n, 1, 'a local starts over')
    t.eq(runs, i, 'globals persist')
    t.eq(distinct, true, 'each run makes its own closures')
  end
  assert(st:close())
end)

t.test('the same text under another codename names that codename', function()
  local st = fresh('chunks_names')
  for _, name in ipairs{'first', 'second', 'first'} do
    local ok, err = st:dostring("error('boom')", name)
    t.eq(ok, nil)
    t.ok(err:find(name .. ':1: boom', 1, true), err)
  end
  assert(st:close())
end)

t.test('a chunk that fails to compile fails every time', function()
  local st = fresh('chunks_syntax')
  for _ = 1, 3 do
    local ok, err = st:dostring('return +')
    t.eq(ok, nil)
    t.ok(err:find('unexpected symbol', 1, true), err)
  end
  assert(st:close())
end)

t.test('a chunk that assigns _ENV starts from the globals each time',
  function()
    local st = fresh('chunks_env')
    assert(st:dostring("probe = 'global'"))
    for _ = 1, 3 do
      local ok, v = st:dostring('local v = probe; _ENV = {}; return v')
      t.eq(ok, true)
      t.eq(v, 'global')
    end
    assert(st:close())
  end)

t.test('compiled chunks go back to a collection', function()
  local st = fresh('chunks_memory', 4 * 1024 * 1024)
  assert(st:dostring('collectgarbage(); collectgarbage()'))
  local before = st:getcurralloc()
  for i = 1, 500 do
    local ok, v = st:dostring('return ' .. i .. ', "' .. ('x'):rep(100) .. '"')
    t.eq(ok, true)
    t.eq(v, i)
  end
  assert(st:dostring('collectgarbage(); collectgarbage()'))
  local after = st:getcurralloc()
  t.ok(after < before + 4096, before .. ' -> ' .. after)
  assert(st:close())
end)

t.test('a state near its limit still runs new chunks', function()
  local st = fresh('chunks_tight', 64 * 1024)
  for i = 1, 200 do
    local ok, v = st:dostring('return ' .. i)
    t.eq(ok, true)
    t.eq(v, i)
  end
  assert(st:close())
end)

s:close()
t.done()
