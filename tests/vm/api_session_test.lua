-- SPDX-License-Identifier: MIT
-- Sessions: opening, getfd, tostring, close, garbage collection, and what
-- happens to state handles when their session closes.
local t = require'testlib'
local lunatik = require'lunatik'

t.test('session() returns a session', function()
  local s = assert(lunatik.session())
  t.eq(type(s), 'userdata')
  t.ok(tostring(s):match('^lunatik%.session %(0x%x+%)$'), tostring(s))
  t.eq(getmetatable(s).__name, 'lunatik.session')
  s:close()
end)

t.test('getfd returns the open socket', function()
  local s = assert(lunatik.session())
  local fd = s:getfd()
  t.eq(math.type(fd), 'integer')
  t.ok(fd > 2, 'fd ' .. fd)
  local link = io.open('/proc/self/fdinfo/' .. fd)
  t.ok(link, 'fd is open')
  link:close()
  s:close()
end)

t.test('close ends the session; using it raises', function()
  local s = assert(lunatik.session())
  t.eq(s:close(), true)
  t.eq(tostring(s), 'lunatik.session (closed)')
  t.raises(function() s:list() end, 'session is closed')
  t.raises(function() s:newstate('api_sess_x') end, 'session is closed')
  t.raises(function() s:getstate('api_sess_x') end, 'session is closed')
  t.raises(function() s:getfd() end, 'session is closed')
  t.raises(function() s:close() end, 'session is closed')
end)

t.test('garbage collection closes the socket', function()
  local fd
  do
    local s = assert(lunatik.session())
    fd = s:getfd()
  end
  collectgarbage()
  collectgarbage()
  t.eq(io.open('/proc/self/fdinfo/' .. fd), nil, 'fd closed')
end)

t.test('to-be-closed session closes at scope end', function()
  local fd, handle
  do
    local s <close> = assert(lunatik.session())
    fd, handle = s:getfd(), s
  end
  t.eq(tostring(handle), 'lunatik.session (closed)')
  t.eq(io.open('/proc/self/fdinfo/' .. fd), nil, 'fd closed')
end)

t.test('state handles of a closed session raise; the states stay',
  function()
    local s = assert(lunatik.session())
    local st = assert(s:newstate('api_sess_stays'))
    s:close()
    t.raises(function() st:dostring('return 1') end, 'session is closed')
    t.raises(function() st:getname() end, 'session is closed')
    t.raises(function() st:getcurralloc() end, 'session is closed')
    t.raises(function() st:send('x') end, 'session is closed')
    t.raises(function() st:receive(0) end, 'session is closed')
    t.raises(function() st:close() end, 'session is closed')

    local other = assert(lunatik.session())
    local again = assert(other:getstate('api_sess_stays'))
    local ok, v = again:dostring('return 7')
    t.eq(ok, true)
    t.eq(v, 7)
    assert(again:close())
    other:close()
  end)

t.test('methods check their self argument', function()
  local s = assert(lunatik.session())
  t.raises(function() s.list({}) end, 'lunatik.session expected')
  t.raises(function() s:newstate({}) end, "bad argument #1 to 'newstate'")
  t.raises(function() s:getstate() end, "bad argument #1 to 'getstate'")
  t.raises(function() s:newstate('api_sess_y', 'lots') end,
    "bad argument #2 to 'newstate'")
  s:close()
end)

t.done()
