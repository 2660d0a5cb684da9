-- SPDX-License-Identifier: MIT
-- A state that reports back what it computed in the kernel: it sieves the
-- primes below 200, pushes them to user space with netlink.send in lines
-- of ten, then its own heap size, and user space prints what arrives.
--   vm/lunatik-vm -- lua5.4 examples/report.lua
local lunatik = require'lunatik'
local memory = require'memory'

local session = assert(lunatik.session())
local state = assert(session:newstate('report'))

assert(state:dostring([[
  local composite, line = {}, {}
  local function flush()
    assert(netlink.send(table.concat(line, ' ')))
    line = {}
  end
  for i = 2, 199 do
    if not composite[i] then
      for j = i * i, 199, i do composite[j] = true end
      line[#line + 1] = i
      if #line == 10 then flush() end
    end
  end
  if #line > 0 then flush() end
  assert(netlink.send('heap ' .. collectgarbage('count') .. ' KiB'))
  assert(netlink.send('done'))
]], 'report'))

while true do
  local mem = assert(state:receive(5000))
  local text = memory.tostring(mem)
  if text == 'done' then break end
  print(text)
end

state:close()
session:close()
