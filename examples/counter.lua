-- SPDX-License-Identifier: MIT
-- A counter kept in the kernel and fed by send: every message adds to
-- tallies held in the state, which user space reads back with dostring.
--   vm/lunatik-vm -- lua5.4 examples/counter.lua
local lunatik = require'lunatik'

local session = assert(lunatik.session())
local state = assert(session:newstate('counter'))

assert(state:dostring([[
  messages, bytes, words = 0, 0, 0
  function receive_callback(mem)
    local text = memory.tostring(mem)
    messages = messages + 1
    bytes = bytes + #text
    for _ in text:gmatch('%S+') do words = words + 1 end
  end
]], 'counter'))

for _, line in ipairs{'hello kernel', 'one two three', '', 'four'} do
  assert(state:send(line))
end

local _, messages, bytes, words =
  assert(state:dostring('return messages, bytes, words'))
print(('%d messages, %d bytes, %d words'):format(messages, bytes, words))

state:close()
session:close()
