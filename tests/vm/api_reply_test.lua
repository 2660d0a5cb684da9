-- SPDX-License-Identifier: MIT
-- Replies up to LUNATIK_RESULTS_MAXSIZE come back whole, over several
-- messages; beyond it a clear error, and the state stays usable. What a
-- chunk prints comes back with its results.
local t = require'testlib'
local lunatik = require'lunatik'

local MAX = 1024 * 1024  -- LUNATIK_RESULTS_MAXSIZE

local s = assert(lunatik.session())
local st = assert(s:newstate('api_reply', 16 * 1024 * 1024))

-- A string of n bytes whose every position is checked: byte i is i % 251.
local pattern = [[
  local n = ...
  local parts = {}
  for i = 0, 250 do parts[#parts + 1] = string.char(i) end
  local block = table.concat(parts)
  return block:rep(n // 251 + 1):sub(1, n)]]

local function expected(n)
  local parts = {}
  for i = 0, 250 do parts[#parts + 1] = string.char(i) end
  return table.concat(parts):rep(n // 251 + 1):sub(1, n)
end

t.test('a string of 1 MiB less a little returns byte-exact', function()
  local n = MAX - 16
  local ok, v = st:dostring('return (function(...) ' .. pattern ..
    ' end)(' .. n .. ')')
  t.eq(ok, true, v)
  t.eq(#v, n)
  t.ok(v == expected(n), 'bytes differ')
end)

t.test('the old 60 KiB limit is gone: 500 KiB of z', function()
  local ok, v = st:dostring("return ('z'):rep(500 * 1024)")
  t.eq(ok, true, v)
  t.eq(v, ('z'):rep(500 * 1024))
end)

t.test('several values, large and small, in order', function()
  local ok, a, b, c, d, e, f = st:dostring([[
    return ('a'):rep(300000), 42, nil, ('b'):rep(70000), true, '']])
  t.eq(ok, true, a)
  t.eq(a, ('a'):rep(300000))
  t.eq(b, 42)
  t.eq(c, nil)
  t.eq(d, ('b'):rep(70000))
  t.eq(e, true)
  t.eq(f, '')
end)

t.test('many values over several messages', function()
  local r = table.pack(st:dostring([[
    local t = {}
    for i = 1, 20000 do t[i] = i end
    return table.unpack(t)]]))
  t.eq(r.n, 20001)
  for i = 1, 20000 do
    if r[i + 1] ~= i then t.eq(r[i + 1], i, 'value ' .. i) end
  end
end)

t.test('an error message of nearly 1 MiB returns whole', function()
  local n = MAX - 4096
  local ok, err = st:dostring("error(((function(...) " .. pattern ..
    " end)(" .. n .. "):gsub('%z', '.')), 0)")
  t.eq(ok, nil)
  local want = expected(n):gsub('%z', '.')
  t.eq(#err > n, true, 'length ' .. #err)
  t.ok(err:sub(1, n) == want, 'message bytes differ')
  t.contains(err:sub(n + 1), 'stack traceback')
end)

t.test('results over the limit: a clear error; the state stays usable', function()
  local ok, err = st:dostring('return ("x"):rep(' .. MAX .. ')')
  t.eq(ok, nil)
  t.contains(err, 'LUNATIK_RESULTS_MAXSIZE')
  ok, err = st:dostring('return ("x"):rep(600000), ("y"):rep(600000)')
  t.eq(ok, nil)
  t.contains(err, 'LUNATIK_RESULTS_MAXSIZE')
  t.eq(select(2, st:dostring('return 6 * 7')), 42)
end)

t.test('an error over the limit is cut to it', function()
  local ok, err = st:dostring('error(("e"):rep(' .. MAX + 5000 .. '), 0)')
  t.eq(ok, nil)
  t.eq(#err, MAX)
  t.eq(err, ('e'):rep(MAX))
end)

t.test('a large reply from a callback error (SEND)', function()
  assert(st:dostring([[
    function receive_callback(m) error(('s'):rep(200000), 0) end]]))
  local ok, err = st:send('x')
  t.eq(ok, nil)
  t.eq(err:sub(1, 200000), ('s'):rep(200000))
end)

t.test('print output: in the kernel log and for the caller, not for dostring', function()
  -- The Lua module keeps the seed's return values: the output is not one.
  local r = table.pack(st:dostring('print("to the log") return 1'))
  t.eq(r.n, 2)
  t.eq(r[1], true)
  t.eq(r[2], 1)
  local p = assert(io.popen('dmesg | grep -c "api_reply: to the log"'))
  local n = tonumber(p:read('a'))
  p:close()
  t.ok(n and n >= 1, 'logged')
end)

local here = arg[0]:match('^(.*)/[^/]*$') or '.'

local function client(mode, bytes)
  local p = assert(io.popen(('python3 %s/reply_client.py %s api_reply %d 2>&1')
    :format(here, mode, bytes)))
  local out = p:read('a')
  local ok = p:close()
  return out, ok
end

t.test('a client with the default receive buffer gets 1 MiB whole', function()
  local out, ok = client('whole', MAX - 64)
  t.ok(ok, out)
  local n = tonumber(out:match('^ok (%d+)'))
  t.ok(n and n >= 17, 'messages: ' .. out)
  out, ok = client('whole', 100)
  t.eq(out, 'ok 1\n', 'a short reply is one message')
end)

t.test('a client closing mid-reply frees the worker; nothing is left', function()
  local base = st:getcurralloc()
  for _ = 1, 3 do
    local out, ok = client('abandon', MAX - 64)
    t.ok(ok, out)
  end
  local start = os.time()
  t.eq(select(2, st:dostring('return 6 * 7')), 42, 'the worker is free')
  t.ok(os.time() - start <= 2, 'answered at once')
  assert(st:dostring('collectgarbage() collectgarbage()'))
  t.ok(st:getcurralloc() <= base + 4096,
    ('curralloc %d, was %d'):format(st:getcurralloc(), base))
end)

t.test('a client that reads nothing gets ENOBUFS after the timeout', function()
  local out, ok = client('stall', MAX - 64)
  t.ok(ok, out)
  t.contains(out, 'errno 105')
  t.eq(select(2, st:dostring('return 6 * 7')), 42, 'the state is usable')
end)

assert(st:close())
t.done()
