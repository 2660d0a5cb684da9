-- SPDX-License-Identifier: MIT
-- A port blocklist in the kernel: a LOCAL_OUT netfilter hook drops UDP
-- over IPv4 to the ports that user space sends it ("block 47301",
-- "unblock 47301"), and counts what it drops. The datagrams come from
-- bash's /dev/udp.
--   vm/lunatik-vm -- lua5.4 examples/blocklist.lua
local lunatik = require'lunatik'

local session = assert(lunatik.session())
local state = assert(session:newstate('blocklist'))

assert(state:dostring([[
  blocked, dropped = {}, {}

  function receive_callback(mem)
    local verb, port = memory.tostring(mem):match('^(%a+) (%d+)$')
    port = tonumber(port)
    if verb == 'block' then
      blocked[port] = true
    elseif verb == 'unblock' then
      blocked[port] = nil
    end
  end

  -- The destination port of a UDP over IPv4 packet, else nil.
  local function dport(skb)
    local d = skb:data()
    local vihl, proto = d:get(1), d:get(10)
    if vihl >> 4 ~= 4 or proto ~= 17 then return nil end
    return (memory.unpack(d, '>I2', (vihl & 15) * 4 + 3))
  end

  hook = netfilter.register{
    pf = netfilter.family.IPV4,
    hooknum = netfilter.inet.LOCAL_OUT,
    hook = function(skb)
      local port = dport(skb)
      if port and blocked[port] then
        dropped[port] = (dropped[port] or 0) + 1
        return netfilter.action.DROP
      end
    end,
  }
]], 'blocklist'))

-- Sends `count` datagrams to each port on 127.0.0.1; a dropped one fails
-- with EPERM, which bash reports on stderr.
local function datagrams(count, ...)
  for _, port in ipairs{...} do
    os.execute(('bash -c \'for i in $(seq %d); do echo x > ' ..
      '/dev/udp/127.0.0.1/%d; done\' 2>/dev/null'):format(count, port))
  end
end

local function report(when)
  local _, a, b = assert(state:dostring(
    'return dropped[47301] or 0, dropped[47302] or 0'))
  print(('%s: 47301 dropped %d, 47302 dropped %d'):format(when, a, b))
end

assert(state:send('block 47301'))
datagrams(3, 47301, 47302)
report('47301 blocked')
assert(state:send('unblock 47301'))
assert(state:send('block 47302'))
datagrams(3, 47301, 47302)
report('47302 blocked')

state:close()
session:close()
