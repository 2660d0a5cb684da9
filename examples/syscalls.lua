-- SPDX-License-Identifier: MIT
-- A per-process system call counter: a kprobe on getppid's entry counts
-- the calls of each process, and on request the state reports its tallies
-- to user space with netlink.send. Three perl processes make 100, 200 and
-- 300 calls.
--   vm/lunatik-vm -- lua5.4 examples/syscalls.lua
local lunatik = require'lunatik'
local memory = require'memory'

local session = assert(lunatik.session())
local state = assert(session:newstate('syscalls'))

-- The probe is armed before the calls start: in a VM under QEMU's TCG,
-- patching a function's entry while the other CPU runs it can crash the
-- guest (docs/kernel-lua.md, "Known problems").
assert(state:dostring([[
  calls, names = {}, {}
  probe_getppid = assert(probe.new('__x64_sys_getppid', {pre = function(ctx)
    local pid = ctx:pid()
    calls[pid] = (calls[pid] or 0) + 1
    names[pid] = ctx:comm()
  end}))

  function report()
    local pids = {}
    for pid in pairs(calls) do pids[#pids + 1] = pid end
    table.sort(pids)
    for _, pid in ipairs(pids) do
      assert(netlink.send(('%s[%d] %d'):format(names[pid], pid, calls[pid])))
    end
    assert(netlink.send('done'))
  end
]], 'syscalls'))

for _, n in ipairs{100, 200, 300} do
  os.execute(('perl -e \'getppid() for 1 .. %d\''):format(n))
end
assert(state:dostring('probe_getppid:unregister() report()'))

while true do
  local text = memory.tostring(assert(state:receive(5000)))
  if text == 'done' then break end
  print(text)
end

state:close()
session:close()
