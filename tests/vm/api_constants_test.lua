-- SPDX-License-Identifier: MIT
-- lunatik.* constants: the UAPI limits, and maxstates as the running
-- module reports it.
local t = require'testlib'
local lunatik = require'lunatik'

t.test('limits from the protocol header', function()
  t.eq(lunatik.statenamemaxsize, 64)
  t.eq(lunatik.scriptnamemaxsize, 255)
  t.eq(lunatik.datamaxsize, 65536)
  t.eq(lunatik.defaultmaxallocbytes, 1024 * 1024)
end)

t.test('maxstates is the running module\'s, at least 1024', function()
  t.eq(math.type(lunatik.maxstates), 'integer')
  t.ok(lunatik.maxstates >= 1024, 'maxstates ' .. lunatik.maxstates)
end)

t.test('a state without maxalloc gets defaultmaxallocbytes', function()
  local s = assert(lunatik.session())
  local st = assert(s:newstate('api_const_default'))
  t.eq(st:getmaxalloc(), lunatik.defaultmaxallocbytes)
  local info
  for _, e in ipairs(assert(s:list())) do
    if e.name == 'api_const_default' then info = e end
  end
  t.ok(info, 'listed')
  t.eq(info.maxalloc, lunatik.defaultmaxallocbytes)
  assert(st:close())
  s:close()
end)

t.test('creating past maxstates names the limit', function()
  local s = assert(lunatik.session())
  local made, err = {}, nil
  for i = 1, lunatik.maxstates + 1 do
    local st, msg = s:newstate('api_const_many_' .. i, 65536)
    if not st then err = msg break end
    made[#made + 1] = st
  end
  local count = #made
  for _, st in ipairs(made) do assert(st:close()) end
  t.eq(err, 'too many states (maxstates is ' .. lunatik.maxstates .. ')')
  t.ok(count <= lunatik.maxstates, 'created ' .. count)
  s:close()
end)

t.done()
