-- SPDX-License-Identifier: MIT
-- examples/: each script runs end to end, and prints what it says it does.
local t = require'testlib'
local clilib = require'clilib'
local lunatik = require'lunatik'

local here = arg[0]:match('^(.*)/[^/]*$') or '.'
local examples = here .. '/../../examples/'

-- Runs `command` and returns its stdout and exit code.
local function run(command)
  local p = assert(io.popen(command))
  local out = p:read('a')
  local _, _, code = p:close()
  return out, code
end

local function state_count()
  local s = assert(lunatik.session())
  local n = #assert(s:list())
  s:close()
  return n
end

local function no_state_left(name)
  local s = assert(lunatik.session())
  for _, st in ipairs(assert(s:list())) do
    t.ok(st.name ~= name, 'state ' .. name .. ' left behind')
  end
  s:close()
end

t.test('counter.lua: send feeds the tallies of a kernel state', function()
  local out, code = run('lua5.4 ' .. examples .. 'counter.lua')
  t.eq(code, 0)
  t.eq(out, '4 messages, 29 bytes, 6 words\n')
  no_state_left('counter')
end)

t.test('report.lua: a state pushes its results with netlink.send', function()
  local out, code = run('lua5.4 ' .. examples .. 'report.lua')
  t.eq(code, 0)
  local lines = {}
  for line in out:gmatch('[^\n]+') do lines[#lines + 1] = line end
  t.eq(#lines, 6)
  t.eq(lines[1], '2 3 5 7 11 13 17 19 23 29')
  t.eq(lines[5], '179 181 191 193 197 199')
  local primes = 0
  for i = 1, 5 do
    for _ in lines[i]:gmatch('%d+') do primes = primes + 1 end
  end
  t.eq(primes, 46)
  t.ok(lines[6]:match('^heap %d+ KiB$'), lines[6])
  no_state_left('report')
end)

t.test('blocklist.lua: a netfilter filter fed with send', function()
  local out, code = run('lua5.4 ' .. examples .. 'blocklist.lua')
  t.eq(code, 0)
  t.eq(out, '47301 blocked: 47301 dropped 3, 47302 dropped 0\n' ..
    '47302 blocked: 47301 dropped 3, 47302 dropped 3\n')
  no_state_left('blocklist')
end)

t.test('syscalls.lua: a kprobe counts each process\'s calls', function()
  local out, code = run('lua5.4 ' .. examples .. 'syscalls.lua')
  t.eq(code, 0)
  local perl = {}
  for n in out:gmatch('perl%[%d+%] (%d+)\n') do
    perl[#perl + 1] = tonumber(n)
  end
  -- The pids grow with each process, and so do the counts.
  t.eq(table.concat(perl, ' '), '100 200 300', out)
  no_state_left('syscalls')
end)

t.test('stats.lua: a timer reports a hook\'s counts every second', function()
  local out, code = run('lua5.4 ' .. examples .. 'stats.lua')
  t.eq(code, 0)
  local packets, bytes, seconds = 0, 0, {}
  for second, p, b in out:gmatch('second (%d+): (%d+) packets, (%d+) bytes') do
    seconds[#seconds + 1] = second
    packets, bytes = packets + tonumber(p), bytes + tonumber(b)
  end
  t.eq(table.concat(seconds, ' '), '1 2 3', out)
  -- The ten datagrams, and the ICMP replies that the loopback sends out.
  t.ok(packets >= 10 and bytes >= 300, out)
  no_state_left('stats')
end)

t.test('shell.lua: piped into lunatik shell', function()
  local f = assert(io.open(examples .. 'shell.lua'))
  local script = f:read('a')
  f:close()
  local before = state_count()
  local out, err, code = clilib.run('shell', script)
  t.eq(err, '')
  t.eq(code, 0)
  t.eq(out, '6765\n1 4 9 16 25 36 49 64 81 100\n3\t1\t1024\n')
  t.eq(state_count(), before, 'the shell closes its fresh state')
end)

t.done()
