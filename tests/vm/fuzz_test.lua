-- SPDX-License-Identifier: MIT
-- Runs lunatik-fuzz (tests/fuzz) for a bounded number of messages. The
-- fuzzer checks every answer and the absence of leaked states itself; the
-- VM harness fails the run on any oops or warning in the kernel log.
-- LUNATIK_FUZZ_SEED and LUNATIK_FUZZ_COUNT override the seed and count.
local t = require'testlib'

local build = os.getenv'LUNATIK_BUILD' or 'build'
local fuzzer = build .. '/user/tests/fuzz/lunatik-fuzz'
local seed = os.getenv'LUNATIK_FUZZ_SEED' or tostring(os.time())
local count = tonumber(os.getenv'LUNATIK_FUZZ_COUNT') or 1500
-- The default count takes about 35 s under TCG; the time cap only keeps a
-- slow machine inside run-all.sh's per-file timeout.
local seconds = 150
local min_messages = math.min(1000, count)

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
  local cmd = string.format('%q --seed %s --count %d --seconds %d 2>&1',
    fuzzer, seed, count, seconds)
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

t.test('the fuzzer sent at least ' .. min_messages .. ' messages', function()
  t.ok(result, 'no result line')
  local messages = tonumber(result:match'messages=(%d+)')
  t.ok(messages and messages >= min_messages,
    'messages: ' .. tostring(messages))
end)

t.done()
