-- SPDX-License-Identifier: MIT
-- What tests/install/install_test.sh (a ctest, run before the VM by make
-- test) installed into BUILD/install-test/dest, used against the real
-- module: a client built with lunatik.pc, the installed CLI and Lua modules.
local t = require'testlib'

local build = os.getenv('LUNATIK_BUILD') or 'build'
local out = build .. '/install-test'

local function capture(cmd)
  local p = assert(io.popen(cmd .. ' 2>&1'))
  local text = p:read('a')
  local _, _, code = p:close()
  return text, code
end

local function prefix()
  local f = assert(io.open(build .. '/user/CMakeCache.txt'))
  local value = f:read('a'):match('CMAKE_INSTALL_PREFIX:PATH=([^\n]*)')
  f:close()
  return out .. '/dest' .. value
end

t.test('the client built against lunatik.pc lists the states', function()
  local f = io.open(out .. '/client')
  t.ok(f, out .. '/client is missing: run ctest (make test does) first')
  f:close()
  local text, code = capture(out .. '/client')
  t.eq(code, 0, text)
  t.ok(text:match('^states: %d+\n$'), text)
end)

t.test('the installed CLI and Lua modules drive the module', function()
  local p = prefix()
  local text, code = capture(p .. '/bin/lunatik exec install_t_nope 1')
  t.eq(code, 1)
  t.eq(text, "lunatik: state 'install_t_nope' not found\n")
  text, code = capture(p .. '/bin/lunatik version')
  t.eq(code, 0, text)
  t.ok(text:match('^lunatik (%S+)\nmodule %1\n$'), text)
  text, code = capture("LUA_CPATH='" .. p .. "/lib/lua/5.4/?.so' lua5.4 -e " ..
    "\"local s = assert(require'lunatik'.session()); " ..
    "local st = assert(s:newstate'install_t'); " ..
    "print(st:dostring'return 6 * 7'); st:close()\"")
  t.eq(code, 0, text)
  t.eq(text, 'true\t42\n')
end)

t.done()
