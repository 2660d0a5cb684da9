-- SPDX-License-Identifier: MIT
-- A kernel statistics reporter: a netfilter hook counts the IPv4 packets
-- going out, and a timer sends the counts of each second to user space
-- with netlink.send, then starts them again. User space prints three
-- seconds' reports while bash sends datagrams to 127.0.0.1.
--   vm/lunatik-vm -- lua5.4 examples/stats.lua
local lunatik = require'lunatik'
local memory = require'memory'

local session = assert(lunatik.session())
local state = assert(session:newstate('stats'))

assert(state:dostring([[
  local packets, bytes, second = 0, 0, 0
  counter = netfilter.register{
    pf = netfilter.family.IPV4,
    hooknum = netfilter.inet.LOCAL_OUT,
    hook = function(skb)
      packets = packets + 1
      bytes = bytes + skb:len()
    end,
  }
  ticker = timer.every(1000, function()
    second = second + 1
    netlink.send(('second %d: %d packets, %d bytes'):format(second, packets,
      bytes))
    packets, bytes = 0, 0
  end)
]], 'stats'))

-- Ten datagrams of 2 bytes ("x\n"), 30 with the IP and UDP headers; each
-- brings an ICMP "port unreachable" back, which goes out too.
os.execute('bash -c \'for i in $(seq 10); do echo x > ' ..
  '/dev/udp/127.0.0.1/47311; done\'')
for _ = 1, 3 do
  print(memory.tostring(assert(state:receive(5000))))
end

state:close()
session:close()
