-- SPDX-License-Identifier: MIT
-- Integer-only Lua workload for comparing interpreters: arithmetic loops,
-- table inserts and reads, string building. It uses no floats (kernel Lua
-- has none) and returns a checksum so every interpreter can be checked to
-- have done the same work.
local sum = 0
for round = 1, 50 do
  local acc = round
  for i = 1, 20000 do
    acc = (acc * 31 + i) % 1000003
    if i & 1 == 0 then acc = acc ~ (i << 3) end
  end

  local list = {}
  for i = 1, 2000 do list[#list + 1] = i * round end
  for i = 1, #list do acc = acc + list[i] end
  table.insert(list, 1, acc)
  acc = acc + table.remove(list)

  local by_name = {}
  for i = 1, 1000 do by_name["key" .. i] = i end
  for i = 1, 1000, 7 do acc = acc + by_name["key" .. i] end

  local parts = {}
  for i = 1, 500 do parts[i] = i .. ":" .. (acc % 97) end
  local text = table.concat(parts, ",")
  acc = acc + #text + #(string.rep("ab", 100) .. round)
  acc = acc + #string.gsub(text, "1", "one")

  sum = (sum + acc) % 1000000007
end
return sum
