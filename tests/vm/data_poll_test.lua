-- SPDX-License-Identifier: MIT
-- poll() on a session's descriptor: lunatik-poll-check (tests/poll/) waits
-- for data from several states at once; each of its checks becomes a test
-- here. Then session:getfd() from Lua.
local t = require'testlib'
local lunatik = require'lunatik'
local memory = require'memory'

local program = (os.getenv('LUNATIK_BUILD') or 'build') ..
  '/user/tests/poll/lunatik-poll-check'

-- Every check the program makes, in order: one missing means it stopped.
local expected = {
  'session opens',
  'fd() is an open descriptor',
  'three states created',
  'idle: poll() times out, nothing to receive',
  'another session ran netlink.send in states 2 and 0',
  'poll() woke up for data sent while it waited',
  'sent while polling: loop ends',
  "sent while polling: poll_check_0 got {'zero-1'}",
  'sent while polling: poll_check_1 got {}',
  "sent while polling: poll_check_2 got {'two-1', 'two-2'}",
  'poll() times out when nothing more is pending',
  'this session ran netlink.send in states 1 and 0',
  'sent by own requests: loop ends',
  "sent by own requests: poll_check_0 got {'zero-own'}",
  "sent by own requests: poll_check_1 got {'one-own'}",
  'sent by own requests: poll_check_2 got {}',
  'and then poll() times out again',
  'fd() is the same for the whole session',
  'states deleted',
}

local p = assert(io.popen(program .. ' 2>&1'))
local lines = {}
for line in p:lines() do lines[#lines + 1] = line end
local exited, how, code = p:close()

local checks, plan, other = {}, nil, {}
for _, line in ipairs(lines) do
  local negation, n, name = line:match('^(n?o?t?) ?ok (%d+) %- (.*)$')
  if n and (negation == '' or negation == 'not') then
    checks[#checks + 1] = {n = tonumber(n), name = name, ok = negation == ''}
  elseif line:match('^# ') and #checks > 0 then
    checks[#checks].detail = line:sub(3)
  elseif line:match('^1%.%.%d+$') then
    plan = tonumber(line:match('%d+$'))
  else
    other[#other + 1] = line
  end
end

for i, name in ipairs(expected) do
  t.test('poll-check: ' .. name, function()
    local check = checks[i]
    t.ok(check, 'the program stopped before this check')
    t.eq(check.n, i, 'check number')
    t.eq(check.name, name, 'check ' .. i)
    t.ok(check.ok, check.detail)
  end)
end

t.test('poll-check ran to its end and exited 0', function()
  t.eq(#checks, #expected, 'checks made')
  t.eq(plan, #expected, 'plan')
  t.eq(#other, 0, 'other output: ' .. table.concat(other, '\n'))
  t.eq(how, 'exit')
  t.eq(code, 0)
  t.eq(exited, true)
end)

t.test('getfd is one positive descriptor for the life of a session',
  function()
  local s = assert(lunatik.session())
  local fd = s:getfd()
  t.eq(math.type(fd), 'integer')
  t.ok(fd > 0, 'positive: ' .. tostring(fd))
  local st = assert(s:newstate('data_poll_fd'))
  assert(st:dostring("netlink.send('x')"))
  t.eq(s:getfd(), fd, 'after dostring')
  t.eq(memory.tostring(assert(st:receive(5000))), 'x')
  t.eq(s:getfd(), fd, 'after receive')
  assert(s:list())
  local other = assert(lunatik.session())
  t.ok(other:getfd() ~= fd, 'another session has its own descriptor')
  assert(other:getstate('data_poll_fd'))
  other:close()
  t.eq(s:getfd(), fd, 'after another session came and went')
  assert(st:close())
  t.eq(s:getfd(), fd, 'after closing a state')
  s:close()
  t.raises(function() s:getfd() end, 'session is closed')
end)

t.done()
