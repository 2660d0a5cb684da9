-- print writes to the kernel log, but no chunk can flood it: it checks the
-- time budget as it goes, keeps to a rate per state (telling later how many
-- lines it suppressed), and writes at most LUNATIK_PRINT_MAXSIZE bytes per
-- call. Before, print(("\n"):rep(5e6)) locked a CPU up for 26 s.
local t = require'testlib'
local lunatik = require'lunatik'

local now = t.uptime

local function kmsg_lines(pattern)
  local p = assert(io.popen('dmesg'))
  local n, last = 0, nil
  for line in p:lines() do
    if line:find(pattern, 1, true) then n, last = n + 1, line end
  end
  p:close()
  return n, last
end

local s = assert(lunatik.session())
local old = s:getstate('kernel_print')
if old then old:close() end
local st = assert(s:newstate('kernel_print', 16 * 1024 * 1024))

t.test('ordinary prints still reach the log whole', function()
  assert(st:dostring('print("hello", 42, nil, true)'))
  local n, last = kmsg_lines('kernel_print: hello')
  t.ok(n >= 1, 'logged')
  t.contains(last, 'hello\t42\tnil\ttrue')
end)

t.test('one call logs at most the documented number of bytes', function()
  local before = kmsg_lines('kernel_print: ')
  assert(st:dostring('print(("z"):rep(1024 * 1024))'))
  local p = assert(io.popen('dmesg'))
  local bytes = 0
  for line in p:lines() do
    if line:find('kernel_print: z', 1, true) then
      bytes = bytes + #line:match('kernel_print: (z*)')
    end
  end
  p:close()
  t.ok(bytes > 0, 'something is logged')
  t.ok(bytes <= 4096, bytes .. ' bytes of z logged')
  t.ok(kmsg_lines('kernel_print: ') - before <= 40, 'few lines')
end)

t.test('five million empty lines: quick, and the log gets few', function()
  local before = kmsg_lines('kernel_print: ')
  local start = now()
  local ok, err = st:dostring('print(("\\n"):rep(5000000)) return "done"')
  local took = now() - start
  print(('# %.2f s'):format(took))
  t.eq(ok, true, tostring(err))
  t.eq(err, 'done')
  t.ok(took < 5, 'took ' .. took .. ' s')
  local logged = kmsg_lines('kernel_print: ') - before
  t.ok(logged <= 200, logged .. ' lines logged')
end)

t.test('a print loop is rate limited and says how much it suppressed', function()
  local before = kmsg_lines('kernel_print: ')
  local ok, err = st:dostring('for i = 1, 1000 do print("line", i) end return 1')
  t.eq(ok, true, tostring(err))
  local logged = kmsg_lines('kernel_print: ') - before
  t.ok(logged <= 200, logged .. ' lines logged')
  -- the next print after the burst reports the lines that were dropped
  os.execute('sleep 6')  -- a new interval of the rate limit
  assert(st:dostring('print("after the burst")'))
  local n, last = kmsg_lines('lines suppressed')
  t.ok(n >= 1, 'a count of suppressed lines is logged')
  t.contains(last, 'kernel_print: ')
end)

t.test('print under the time budget: a print loop times out', function()
  local ok, err = st:dostring('while true do print(("\\n"):rep(100000)) end')
  t.eq(ok, nil)
  t.contains(err, 'timeout: chunk ran for more than')
end)

assert(st:close())
t.done()
