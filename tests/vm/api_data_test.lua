-- SPDX-License-Identifier: MIT
-- The data API: state:send() into receive_callback, netlink.send() back to
-- state:receive(), per-state queues, timeouts, and the receiver rule.
local t = require'testlib'
local lunatik = require'lunatik'
local memory = require'memory'

local s = assert(lunatik.session())
local cli = (os.getenv('LUNATIK_BUILD') or 'build') .. '/user/cli/lunatik'

local function newstate(name)
  local st = assert(s:newstate(name))
  assert(st:dostring([[
    got = {}
    function receive_callback(mem)
      got[#got + 1] = memory.tostring(mem)
    end
  ]]))
  return st
end

t.test('send a string calls receive_callback', function()
  local st = newstate('api_data_str')
  t.eq(st:send('hello'), true)
  local ok, v, n = st:dostring('return got[1], #got')
  t.eq(v, 'hello')
  t.eq(n, 1)
  assert(st:close())
end)

t.test('send a memory, with NUL bytes', function()
  local st = newstate('api_data_mem')
  t.eq(st:send(memory.create('a\0b')), true)
  t.eq(st:send(''), true)
  local ok, v, e = st:dostring('return got[1], got[2]')
  t.eq(v, 'a\0b')
  t.eq(e, '')
  assert(st:close())
end)

t.test('send up to datamaxsize; one byte more refused', function()
  local st = newstate('api_data_max')
  local data = string.rep('0123456789abcdef', lunatik.datamaxsize // 16)
  t.eq(st:send(data), true)
  local ok, len, same = st:dostring('return #got[1], got[1] == string.rep(' ..
    "'0123456789abcdef', " .. lunatik.datamaxsize // 16 .. ')')
  t.eq(len, lunatik.datamaxsize)
  t.eq(same, true)
  local r, err = st:send(data .. 'x')
  t.eq(r, nil)
  t.eq(err, 'data of 65537 bytes is larger than the limit of 65536 bytes')
  assert(st:close())
end)

t.test('send without a callback, or to one that raises', function()
  local st = assert(s:newstate('api_data_nocb'))
  local r, err = st:send('x')
  t.eq(r, nil)
  t.ok(type(err) == 'string' and #err > 0, 'a message')
  assert(st:dostring("function receive_callback() error('refused!') end"))
  r, err = st:send('x')
  t.eq(r, nil)
  t.contains(err, 'refused!')
  t.raises(function() st:send({}) end, 'memory or string expected')
  assert(st:close())
end)

t.test('netlink.send reaches receive as a memory', function()
  local st = newstate('api_data_recv')
  local ok, n = st:dostring("return netlink.send('from kernel')")
  t.eq(ok, true)
  t.eq(n, #'from kernel')
  local m = assert(st:receive(5000))
  t.eq(memory.type(m), 'fixed')
  t.eq(#m, #'from kernel')
  t.eq(memory.tostring(m), 'from kernel')
  assert(st:close())
end)

t.test('64 KiB echo round trip', function()
  local st = assert(s:newstate('api_data_echo'))
  assert(st:dostring('function receive_callback(m) netlink.send(m) end'))
  local data = {}
  for i = 1, lunatik.datamaxsize do data[i] = string.char(i % 251) end
  data = table.concat(data)
  t.eq(st:send(data), true)
  local m = assert(st:receive(5000))
  t.eq(#m, #data)
  t.eq(memory.tostring(m) == data, true, 'same bytes')
  assert(st:close())
end)

t.test('receive times out', function()
  local st = newstate('api_data_timeout')
  local r, err = st:receive(200)
  t.eq(r, nil)
  t.eq(err, 'timeout')
  r, err = st:receive(0)
  t.eq(r, nil)
  t.eq(err, 'timeout')
  assert(st:close())
end)

t.test('receiving for one state never takes another\'s data', function()
  local a = newstate('api_data_a')
  local b = newstate('api_data_b')
  assert(a:dostring("netlink.send('a1'); netlink.send('a2')"))
  assert(b:dostring("netlink.send('b1')"))
  t.eq(memory.tostring(assert(b:receive(5000))), 'b1')
  local r, err = b:receive(100)
  t.eq(err, 'timeout')
  t.eq(memory.tostring(assert(a:receive(5000))), 'a1')
  t.eq(memory.tostring(assert(a:receive(5000))), 'a2')
  assert(a:close())
  assert(b:close())
end)

t.test('data arriving during other requests is kept', function()
  local st = newstate('api_data_interleave')
  assert(st:dostring("netlink.send('early')"))
  -- These replies come after the data on the same socket.
  assert(s:list())
  assert(st:dostring('return 1'))
  t.eq(memory.tostring(assert(st:receive(5000))), 'early')
  assert(st:close())
end)

t.test('the socket that last looked a state up receives', function()
  local st = newstate('api_data_takeover')
  local other = assert(lunatik.session())
  local h = assert(other:getstate('api_data_takeover'))
  assert(st:dostring("netlink.send('to other')"))
  t.eq(memory.tostring(assert(h:receive(5000))), 'to other')
  local r, err = st:receive(100)
  t.eq(err, 'timeout')
  other:close()
  -- The receiver's socket is gone: the kernel says so to the sender.
  local ok, n, msg = st:dostring("return netlink.send('nobody')")
  t.eq(ok, true)
  t.eq(n, nil)
  t.ok(type(msg) == 'string', 'netlink.send explains')
  assert(st:close())
end)

t.test('getcurralloc keeps the receiver and reads the state exactly', function()
  local st = newstate('api_data_peek')
  local other = assert(lunatik.session())
  local h = assert(other:getstate('api_data_peek'))
  -- A lookup by the first session must not take the receiver back.
  local n = assert(st:getcurralloc())
  local listed
  for _, info in ipairs(assert(s:list())) do
    if info.name == 'api_data_peek' then listed = info.curralloc end
  end
  t.eq(n, listed, 'same as the listing')
  assert(st:dostring("big = ('x'):rep(100000)"))
  t.ok(assert(st:getcurralloc()) >= n + 100000, 'follows an allocation')
  assert(st:dostring("netlink.send('still other')"))
  t.eq(memory.tostring(assert(h:receive(5000))), 'still other')
  local r, err = st:receive(100)
  t.eq(err, 'timeout')
  assert(st:close())
  r, err = h:getcurralloc()
  t.eq(r, nil)
  t.eq(err, "state 'api_data_peek' not found")
  other:close()
end)

t.test('receive ends when the state is closed meanwhile', function()
  local st = newstate('api_data_closed')
  os.execute('(sleep 1; ' .. cli .. ' close api_data_closed) &')
  local start = os.time()
  local r, err = st:receive(30000)
  t.eq(r, nil)
  t.eq(err, "state 'api_data_closed' not found")
  t.ok(os.time() - start < 15, 'ended early')
end)

local uptime = t.uptime

local function await(path)
  for _ = 1, 200 do
    local f = io.open(path)
    if f then
      local v = f:read('a')
      f:close()
      return v
    end
    os.execute('sleep 0.05')
  end
  error('no ' .. path)
end

-- Another process, already running, deletes the state 0.3 s after the
-- receive began. The client also looks the state up once a second, from
-- the start of the receive, so only the kernel's notice ends the wait in
-- time.
t.test('a state deleted by another process wakes receive at once', function()
  local st = newstate('api_data_wake')
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute('mkdir ' .. dir))
  local f = assert(io.open(dir .. '/deleter.lua', 'w'))
  f:write(string.format([[
    local lunatik = require'lunatik'
    local s = assert(lunatik.session())
    local h = assert(s:getstate('api_data_wake'))
    io.open('%s/ready', 'w'):close()
    local function uptime()
      local f = io.open('/proc/uptime')
      local v = f:read('n')
      f:close()
      return v
    end
    local go
    repeat
      go = io.open('%s/go')
      if not go then os.execute('sleep 0.05') end
    until go
    local at = go:read('n') + 0.3
    go:close()
    repeat until uptime() >= at
    local start = uptime()
    assert(h:close())
    local f = io.open('%s/stamp.new', 'w')
    f:write(start)
    f:close()
    os.rename('%s/stamp.new', '%s/stamp')
  ]], dir, dir, dir, dir, dir))
  f:close()
  assert(os.execute('lua5.4 ' .. dir .. '/deleter.lua &'))
  await(dir .. '/ready')
  -- The deleter's lookup took the receiver: take it back.
  assert(s:getstate('api_data_wake'))
  -- The deleter deletes 0.3 s after the receive began.
  f = assert(io.open(dir .. '/go.new', 'w'))
  f:write(uptime())
  f:close()
  assert(os.rename(dir .. '/go.new', dir .. '/go'))
  local r, err = st:receive(10000)
  local woke = uptime()
  t.eq(r, nil)
  t.eq(err, "state 'api_data_wake' not found")
  local start = tonumber(await(dir .. '/stamp'))
  os.execute('rm -r ' .. dir)
  print(string.format('# woke %.2f s after the delete began', woke - start))
  t.ok(woke - start < 0.3, 'woke within 0.3 s of the delete')
end)

t.test('receive argument checks', function()
  local st = newstate('api_data_args')
  t.raises(function() st:receive('soon') end, "bad argument #1 to 'receive'")
  assert(st:close())
  t.raises(function() st:receive(0) end, "state 'api_data_args' is closed")
end)

s:close()
t.done()
