-- SPDX-License-Identifier: MIT
-- Stress: several lua5.4 processes hammer the module at once for a bounded
-- time. Churners create, run code in and close their own states; a lister
-- lists; a getter looks up states that come and go; a runner runs long
-- chunks while a closer closes those states under it. Every call must
-- return a value or nil and a message (a raised error or a hang fails),
-- and no state may be left. The VM harness checks the kernel log.
--
-- The file is its own child: `lua5.4 stress_test.lua child ROLE ID SECONDS
-- RESULT` runs one role and writes its verdict to RESULT.
local lunatik = require'lunatik'

local prefix = 'stress-'
local duration = tonumber(os.getenv'LUNATIK_STRESS_SECONDS') or 20

local function sleep(seconds)
  os.execute('sleep ' .. seconds)
end

-- Child side --------------------------------------------------------------

-- Raises, with the call's name, unless the results are a value or nil and
-- a message: the only answers the API allows for a kernel-side failure.
local function answered(what, ...)
  local v, msg = ...
  if v == nil and (type(msg) ~= 'string' or msg == '') then
    error(what .. ' returned nil without a message', 2)
  end
  return ...
end

-- Runs fn until the deadline; fn returns a table of counts to add up.
local function loop(deadline, fn)
  local counts = {ops = 0}
  while os.time() < deadline do
    fn(counts)
    counts.ops = counts.ops + 1
  end
  return counts
end

local roles = {}

-- Creates, uses and closes its own states: every call must succeed.
function roles.churn(s, id, deadline)
  local n = 0
  return loop(deadline, function()
    n = n + 1
    local name = string.format('%schurn%d-%d', prefix, id, n)
    local st = assert(answered('newstate', s:newstate(name)))
    local ok, v = answered('dostring', st:dostring('return ... or 40 + 2'))
    assert(ok == true and v == 42, 'dostring: ' .. tostring(v))
    ok, v = answered('dostring', st:dostring('t = {} for i = 1, 100 do ' ..
      't[i] = i end return #t', 'churn'))
    assert(ok == true and v == 100, 'dostring: ' .. tostring(v))
    assert(answered('close', st:close()))
  end)
end

-- Lists while states come and go; each entry must be whole.
function roles.list(s, _, deadline)
  return loop(deadline, function(counts)
    local list = assert(answered('list', s:list()))
    for _, e in ipairs(list) do
      assert(type(e.name) == 'string' and #e.name > 0, 'entry without a name')
      assert(math.type(e.maxalloc) == 'integer' and
        math.type(e.curralloc) == 'integer', 'entry without sizes')
    end
    counts.seen = (counts.seen or 0) + #list
  end)
end

-- Looks up churners' states, which may vanish at any moment.
function roles.get(s, _, deadline)
  return loop(deadline, function(counts)
    local list = answered('list', s:list()) or {}
    for _, e in ipairs(list) do
      if e.name:sub(1, #prefix) == prefix then
        local st = answered('getstate', s:getstate(e.name))
        if st then
          counts.found = (counts.found or 0) + 1
          local ok = answered('dostring', st:dostring('return 1'))
          if ok then counts.ran = (counts.ran or 0) + 1 end
        else
          counts.gone = (counts.gone or 0) + 1
        end
      end
    end
    answered('getstate', s:getstate(prefix .. 'never-there'))
  end)
end

-- Runs chunks long enough for the closer to close the state under them.
function roles.run(s, id, deadline)
  local n = 0
  return loop(deadline, function(counts)
    n = n + 1
    local st = answered('newstate',
      s:newstate(string.format('%slong%d-%d', prefix, id, n)))
    if not st then return end
    local ok = answered('dostring',
      st:dostring('local x = 0 for i = 1, 2000000 do x = x + i end return x'))
    counts[ok and 'finished' or 'refused'] =
      (counts[ok and 'finished' or 'refused'] or 0) + 1
    -- The closer may have closed it already: nil and a message then.
    if answered('close', st:close()) then
      counts.closed_self = (counts.closed_self or 0) + 1
    end
  end)
end

-- Closes the runner's states, often while a chunk runs in them.
function roles.close(s, _, deadline)
  return loop(deadline, function(counts)
    local list = answered('list', s:list()) or {}
    for _, e in ipairs(list) do
      if e.name:sub(1, #prefix + 4) == prefix .. 'long' then
        local st = answered('getstate', s:getstate(e.name))
        if st and answered('close', st:close()) then
          counts.closed = (counts.closed or 0) + 1
        end
      end
    end
    sleep(0.1)
  end)
end

local function child(role, id, seconds, result)
  local deadline = os.time() + tonumber(seconds)
  local ok, counts = xpcall(function()
    local s = assert(answered('session', lunatik.session()))
    local counts = roles[role](s, tonumber(id), deadline)
    s:close()
    return counts
  end, debug.traceback)
  local out = assert(io.open(result .. '.tmp', 'w'))
  if ok then
    local parts = {}
    for k, v in pairs(counts) do parts[#parts + 1] = k .. '=' .. v end
    table.sort(parts)
    out:write('ok ', table.concat(parts, ' '), '\n')
  else
    out:write('fail ', tostring(counts), '\n')
  end
  out:close()
  -- Renamed once whole, so the parent never reads half a verdict.
  assert(os.rename(result .. '.tmp', result))
  os.exit(ok and 0 or 1)
end

if arg[1] == 'child' then
  child(arg[2], arg[3], arg[4], arg[5])
end

-- Parent side -------------------------------------------------------------

local t = require'testlib'
local dir = string.format('/tmp/lunatik-stress-%d-%d', os.time(),
  math.random(1 << 30))
assert(os.execute('mkdir -p ' .. dir))

local children = {
  {'churn', 1}, {'churn', 2}, {'churn', 3},
  {'list', 1}, {'get', 1}, {'run', 1}, {'close', 1},
}

local function leftovers(s)
  local names = {}
  for _, e in ipairs(assert(s:list())) do
    if e.name:sub(1, #prefix) == prefix then names[#names + 1] = e.name end
  end
  return names
end

local s = assert(lunatik.session())
for _, name in ipairs(leftovers(s)) do
  local st = s:getstate(name)
  if st then st:close() end
end

for _, c in ipairs(children) do
  local role, id = c[1], c[2]
  c.result = string.format('%s/%s-%d', dir, role, id)
  local cmd = string.format('lua5.4 %q child %s %d %d %q >%q 2>&1 &',
    arg[0], role, id, duration, c.result, c.result .. '.log')
  assert(os.execute(cmd))
end

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read'a'
  f:close()
  return s
end

-- A chunk runs at most the module's 5 s time budget, and a close waits for
-- it: a child silent long after the deadline is hung in the kernel.
local wait_until = os.time() + duration + 60
local pending = #children
while pending > 0 and os.time() < wait_until do
  sleep(0.5)
  pending = 0
  for _, c in ipairs(children) do
    c.verdict = c.verdict or read(c.result)
    if not c.verdict then pending = pending + 1 end
  end
end

for _, c in ipairs(children) do
  t.test(string.format('%s %d returns values or nil and a message',
      c[1], c[2]), function()
    local log = read(c.result .. '.log')
    if log and log ~= '' then
      for line in log:gmatch'[^\n]+' do print('#   log: ' .. line) end
    end
    t.ok(c.verdict, 'no verdict within ' .. duration + 60 .. ' s: hung')
    print('# ' .. c[1] .. ' ' .. c[2] .. ': ' .. c.verdict:gsub('\n$', ''))
    t.ok(c.verdict:find('^ok'), c.verdict)
    t.ok(tonumber(c.verdict:match'ops=(%d+)') > 0, 'no operation done')
  end)
end

t.test('the closer closed states the runner was using', function()
  local closer, runner
  for _, c in ipairs(children) do
    if c[1] == 'close' then closer = c.verdict end
    if c[1] == 'run' then runner = c.verdict end
  end
  t.ok(closer and runner, 'closer or runner missing')
  t.ok(tonumber(closer:match'closed=(%d+)'), 'closed nothing: ' .. closer)
end)

t.test('no state is left behind', function()
  if pending > 0 then sleep(6) end  -- let a stuck close give up
  local names = leftovers(s)
  for _, name in ipairs(names) do
    local st = s:getstate(name)
    if st then st:close() end
  end
  t.eq(#names, 0, 'left: ' .. table.concat(names, ' '))
end)

s:close()
os.execute('rm -rf ' .. dir)
t.done()
