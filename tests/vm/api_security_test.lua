-- SPDX-License-Identifier: MIT
-- Privilege and network namespaces: an unprivileged caller is refused and
-- changes nothing; states are per network namespace.
local t = require'testlib'
local lunatik = require'lunatik'

local s = assert(lunatik.session())

local function names()
  local set = {}
  for _, e in ipairs(assert(s:list())) do set[e.name] = e end
  return set
end

-- Runs Lua code in a child process through `prefix` and returns its output.
local function child(prefix, code)
  local path = os.tmpname()
  local f = assert(io.open(path, 'w'))
  f:write(code)
  f:close()
  -- nobody must be able to read the script.
  os.execute('chmod 644 ' .. path)
  local p = assert(io.popen(prefix .. ' lua5.4 ' .. path .. ' 2>&1'))
  local out = p:read('a')
  p:close()
  os.remove(path)
  return out
end

local unprivileged = 'setpriv --reuid=65534 --regid=65534 --clear-groups ' ..
  '--inh-caps=-all'

t.test('an unprivileged caller gets "permission denied"', function()
  local st = assert(s:newstate('api_sec_existing'))
  assert(st:dostring('value = 1'))
  local before = names()
  local out = child(unprivileged, [[
    local lunatik = require'lunatik'
    local s, err = lunatik.session()
    if not s then print('session', err) return end
    print('newstate', select(2, s:newstate('api_sec_intruder')))
    print('getstate', select(2, s:getstate('api_sec_existing')))
    print('list', select(2, s:list()))
  ]])
  t.contains(out, 'newstate\tpermission denied: needs CAP_SYS_ADMIN')
  t.contains(out, 'getstate\tpermission denied: needs CAP_SYS_ADMIN')
  t.contains(out, 'list\tpermission denied: needs CAP_SYS_ADMIN')
  local after = names()
  t.eq(after.api_sec_intruder, nil, 'no state created')
  for name in pairs(before) do t.ok(after[name], name .. ' still there') end
  local ok, v = st:dostring('return value')
  t.eq(v, 1)
  assert(st:close())
end)

t.test('states in another network namespace are invisible', function()
  local st = assert(s:newstate('api_sec_ns', 128 * 1024))
  local out = child('unshare -n', [[
    local lunatik = require'lunatik'
    local s = assert(lunatik.session())
    local seen = false
    for _, e in ipairs(assert(s:list())) do
      if e.name == 'api_sec_ns' then seen = true end
    end
    print('seen', seen)
    print('get', select(2, s:getstate('api_sec_ns')))
    local st = assert(s:newstate('api_sec_ns', 256 * 1024))
    print('maxalloc', st:getmaxalloc())
    print('run', st:dostring('return 6 * 7'))
  ]])
  t.contains(out, 'seen\tfalse')
  t.contains(out, "get\tstate 'api_sec_ns' not found")
  t.contains(out, 'maxalloc\t262144')
  t.contains(out, 'run\ttrue\t42')
  -- Ours is untouched by the namesake that lived in the other namespace.
  t.eq(names().api_sec_ns.maxalloc, 128 * 1024)
  assert(st:close())
end)

s:close()
t.done()
