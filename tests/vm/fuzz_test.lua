-- SPDX-License-Identifier: MIT
-- Runs lunatik-fuzz (tests/fuzz) for a bounded number of messages: 100,000
-- on the debug kernel (whose checkers see what the fuzzer cannot), fewer on
-- the others. The fuzzer checks every answer, its stateful scenarios and
-- the absence of leaked states itself; the VM harness fails the run on any
-- oops, warning or (debug kernel) kmemleak report.
-- LUNATIK_FUZZ_SEED, LUNATIK_FUZZ_MESSAGES and LUNATIK_FUZZ_FLOOR override
-- the seed, the count and the count required; LUNATIK_FUZZER the binary.
local t = require'testlib'

local build = os.getenv'LUNATIK_BUILD' or 'build'
local fuzzer = os.getenv'LUNATIK_FUZZER' or
  build .. '/user/tests/fuzz/lunatik-fuzz'
local seed = os.getenv'LUNATIK_FUZZ_SEED' or tostring(os.time())

local function uname()
  local p = assert(io.popen'uname -r')
  local release = p:read'l' or ''
  p:close()
  return release
end

local debug = uname():find('debug', 1, true) ~= nil
local messages = tonumber(os.getenv'LUNATIK_FUZZ_MESSAGES') or
  (debug and 100000 or 30000)
-- The time cap keeps the file inside run-all.sh's per-file timeout (720 s
-- on the debug lane, 240 s elsewhere: tests/run.sh). On a quiet machine the
-- debug kernel takes 250 to 290 messages a second under TCG, so its 100,000
-- need 350 to 410 s; the cap leaves room for a slower machine, and the
-- whole count is required (docs/testing.md has the measured rates).
local seconds = debug and 640 or 190
local floor = tonumber(os.getenv'LUNATIK_FUZZ_FLOOR') or messages

local function exists(path)
  local f = io.open(path, 'rb')
  if f then f:close() end
  return f ~= nil
end

local output, status, result

t.test('lunatik-fuzz is built', function()
  t.ok(exists(fuzzer), fuzzer .. ' is missing: is tests/ in the top-level ' ..
    'CMakeLists.txt?')
end)

t.test('the fuzzer exits 0 (seed ' .. seed .. ')', function()
  t.ok(exists(fuzzer), 'no fuzzer')
  local cmd = string.format(
    '%q --seed %s --count 0 --messages %d --seconds %d 2>&1',
    fuzzer, seed, messages, seconds)
  local p = assert(io.popen(cmd))
  output = p:read'a'
  local _, _, code = p:close()
  status = code
  for line in output:gmatch'[^\n]+' do
    print('# ' .. line)
    result = line:match'^result: .*' or result
  end
  t.ok(result, 'no result line')
  t.eq(status, 0, 'exit status')
end)

t.test('the fuzzer sent at least ' .. floor .. ' messages', function()
  t.ok(result, 'no result line')
  local sent = tonumber(result:match'messages=(%d+)')
  print('# messages sent: ' .. tostring(sent) .. ' of ' .. messages)
  t.ok(sent and sent >= floor, 'messages: ' .. tostring(sent))
end)

t.test('every scenario ran', function()
  t.ok(result, 'no result line')
  -- 17 scenarios take turns (fuzzer.cc's Run()).
  local scenarios = tonumber(result:match'scenarios=(%d+)')
  t.ok(scenarios and scenarios >= 17, 'scenarios: ' .. tostring(scenarios))
end)

t.done()
