-- SPDX-License-Identifier: MIT
-- The data queue from the kernel: netlink.send() until the receiver's
-- queue is full (every accepted message arrives once, in order), sends with
-- no receiver, and receive_callbacks that misbehave.
local t = require'testlib'
local lunatik = require'lunatik'
local memory = require'memory'

local s = assert(lunatik.session())
local cli = (os.getenv('LUNATIK_BUILD') or 'build') .. '/user/cli/lunatik'

-- Message i of a flood: a 4-byte sequence number, then a filler byte that
-- changes with i, so a message out of place or cut short shows.
local message_code = [[
  local function message(i, size)
    return string.pack('>I4', i) .. string.rep(string.char(65 + i % 26),
      size - 4)
  end
]]
local function message(i, size)
  return string.pack('>I4', i) .. string.rep(string.char(65 + i % 26),
    size - 4)
end

-- Sends messages of `size` bytes from a chunk until netlink.send refuses;
-- returns how many it accepted and the refusal's message. The chunk runs
-- from the CLI, another socket: this session is the receiver, and it does
-- not read while it waits for nothing (a session waiting for its own
-- chunk's reply would take the data as it comes, and nothing would fill).
local function flood(st, size)
  local file = os.tmpname()
  local f = assert(io.open(file, 'wb'))
  f:write(message_code, [[
    for i = 1, 20000 do
      local n, err = netlink.send(message(i, ]], size, [[))
      if not n then return i - 1, err end
      assert(n == ]], size, [[, 'netlink.send returned ' .. tostring(n))
    end
    return 20000, 'never full'
  ]])
  f:close()
  local p = assert(io.popen(cli .. ' run ' .. st:getname() .. ' ' .. file ..
    ' 2>&1'))
  local out = p:read('a')
  p:close()
  os.remove(file)
  local sent, err = out:match('^(%d+)\t([^\n]*)\n$')
  assert(sent, out)
  return tonumber(sent), err
end

-- Receives the whole flood and checks every message; then nothing is left.
local function drain(st, sent, size)
  for i = 1, sent do
    local m, err = st:receive(5000)
    t.ok(m, string.format('message %d of %d: %s', i, sent, tostring(err)))
    local data = memory.tostring(m)
    t.eq(#data, size, 'size of message ' .. i)
    t.eq(string.unpack('>I4', data), i, 'sequence number')
    t.ok(data == message(i, size), 'contents of message ' .. i)
  end
  local m, err = st:receive(100)
  t.eq(m, nil, 'nothing after the last accepted message')
  t.eq(err, 'timeout')
end

for _, size in ipairs{4096, lunatik.datamaxsize} do
  t.test(string.format('a full queue of %d-byte messages loses nothing',
      size), function()
    local name = 'data_queue_' .. size
    local st = assert(s:newstate(name, 4 * 1024 * 1024))
    local sent, err = flood(st, size)
    t.eq(err, 'receiver queue full')
    t.ok(sent >= 8, 'the queue held only ' .. sent .. ' messages')
    drain(st, sent, size)
    -- Drained, the queue takes data again, and a second flood fits as
    -- many messages as the first, give or take the headroom's rounding.
    local ok, n = st:dostring("return netlink.send('again')")
    t.eq(n, 5)
    t.eq(memory.tostring(assert(st:receive(5000))), 'again')
    local resent = flood(st, size)
    t.ok(math.abs(resent - sent) <= 1,
      string.format('second flood %d, first %d', resent, sent))
    drain(st, resent, size)
    assert(st:close())
  end)
end

t.test('netlink.send with the receiver\'s session closed', function()
  local creator = assert(lunatik.session())
  assert(creator:newstate('data_queue_orphan'))
  creator:close()
  -- The CLI runs the chunk without looking the state up, so no socket
  -- becomes its receiver.
  local p = assert(io.popen(cli ..
    " exec data_queue_orphan \"return netlink.send('lost')\""))
  local out = p:read('a')
  t.eq(p:close(), true, 'lunatik exec succeeds')
  t.eq(out, 'nil\tno receiver\n')
  local st = assert(s:getstate('data_queue_orphan'))
  local ok, n = st:dostring("return netlink.send('found')")
  t.eq(n, 5, 'getstate makes a receiver again')
  t.eq(memory.tostring(assert(st:receive(5000))), 'found')
  assert(st:close())
end)

t.test('netlink.send after the receiver moved to a closed session',
  function()
  local st = assert(s:newstate('data_queue_moved'))
  local other = assert(lunatik.session())
  assert(other:getstate('data_queue_moved'))
  other:close()
  local ok, n, err = st:dostring("return netlink.send('lost')")
  t.eq(ok, true)
  t.eq(n, nil)
  t.eq(err, 'no receiver')
  -- The former receiver gets nothing either.
  local m, rerr = st:receive(100)
  t.eq(rerr, 'timeout')
  assert(st:close())
end)

t.test('a memory bomb in receive_callback fails the send only', function()
  local st = assert(s:newstate('data_queue_bomb', 65536))
  assert(st:dostring([[
    function receive_callback(m)
      local hoard = {}
      while true do
        hoard[#hoard + 1] = string.rep(memory.tostring(m), 64) .. #hoard
      end
    end
  ]]))
  for _ = 1, 3 do
    local r, err = st:send('bomb')
    t.eq(r, nil)
    t.contains(err, 'not enough memory')
  end
  local ok, v = st:dostring('collectgarbage(); return 6 * 7')
  t.eq(ok, true, 'the state answers: ' .. tostring(v))
  t.eq(v, 42)
  assert(st:dostring(
    'function receive_callback(m) last = memory.tostring(m) end'))
  t.eq(st:send('calm'), true)
  local _, last = st:dostring('return last')
  t.eq(last, 'calm')
  assert(st:close())
end)

t.test('receive_callback echoing with netlink.send keeps the order',
  function()
  local st = assert(s:newstate('data_queue_echo'))
  assert(st:dostring([[
    function receive_callback(m)
      local s = memory.tostring(m)
      assert(netlink.send(s:upper() .. '#' .. #s))
    end
  ]]))
  local words = {}
  for i = 1, 20 do
    words[i] = string.rep(string.char(96 + i), i) .. i
    t.eq(st:send(words[i]), true, 'send ' .. i)
  end
  for i = 1, 20 do
    local m = assert(st:receive(5000))
    t.eq(memory.tostring(m), words[i]:upper() .. '#' .. #words[i])
  end
  local m, err = st:receive(100)
  t.eq(err, 'timeout')
  assert(st:close())
end)

s:close()
t.done()
