-- SPDX-License-Identifier: MIT
-- Runs the lunatik command of the build tree, for the cli tests.
local clilib = {}

clilib.path = (os.getenv('LUNATIK_BUILD') or 'build') .. '/user/cli/lunatik'

local function slurp(path)
  local f = assert(io.open(path, 'rb'))
  local s = f:read('a')
  f:close()
  os.remove(path)
  return s
end

-- Runs the CLI with shell-quoted `args` and `stdin` (nothing if nil);
-- returns stdout, stderr and the exit code.
function clilib.run(args, stdin)
  local err = os.tmpname()
  local input = os.tmpname()
  local f = assert(io.open(input, 'wb'))
  f:write(stdin or '')
  f:close()
  local p = assert(io.popen(clilib.path .. ' ' .. args .. ' 2>' .. err ..
    ' <' .. input))
  local out = p:read('a')
  local _, _, code = p:close()
  os.remove(input)
  return out, slurp(err), code
end

return clilib
