-- SPDX-License-Identifier: MIT
-- A session for the kernel's Lua prompt: each line is read as the prompt
-- reads it (bare expressions print their values; an unfinished statement
-- continues on the next line).
--   vm/lunatik-vm -- build/user/cli/lunatik shell < examples/shell.lua
function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end
fib(20)
squares = {}
for i = 1, 10 do
  squares[#squares + 1] = i * i
end
table.concat(squares, ' ')
7 // 2, 7 % 2, 2^10
