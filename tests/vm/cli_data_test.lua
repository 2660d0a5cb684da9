-- SPDX-License-Identifier: MIT
-- The lunatik command-line tool: send and recv.
local t = require'testlib'
local lunatik = require'lunatik'

local clilib = require'clilib'
local cli = clilib.path
local run = clilib.run

t.test('send and recv', function()
  assert(select(3, run('new api_cli_data')) == 0)
  assert(select(3, run([[exec api_cli_data 'function receive_callback(m)
    last = memory.tostring(m) end']])) == 0)
  local path = os.tmpname()
  local f = assert(io.open(path, 'wb'))
  f:write('from a file')
  f:close()
  local out, err, code = run('send api_cli_data ' .. path)
  t.eq(code, 0, err)
  out = run("exec api_cli_data 'return last'")
  t.eq(out, 'from a file\n')
  out, err, code = run('send api_cli_data -', 'from\0stdin')
  t.eq(code, 0, err)
  out = run("exec api_cli_data 'return #last'")
  t.eq(out, '10\n')
  out, err, code = run('send api_cli_data', 'no dash')
  t.eq(code, 0, err)
  out = run("exec api_cli_data 'return last'")
  t.eq(out, 'no dash\n')
  out, err, code = run('send api_cli_data /nonexistent')
  t.eq(code, 1)
  t.eq(err, 'lunatik: cannot read /nonexistent\n')
  out, err, code = run('send api_cli_nope -', 'x')
  t.eq(code, 1)
  t.eq(err, "lunatik: state 'api_cli_nope' not found\n")
  out, err, code = run('recv api_cli_data --timeout 100')
  t.eq(code, 1)
  t.eq(err, 'lunatik: timeout\n')
  out, err, code = run('recv api_cli_nope --timeout 100')
  t.eq(code, 1)
  t.eq(err, "lunatik: state 'api_cli_nope' not found\n")
  -- recv registers itself as the receiver, then waits for the data.
  local p = assert(io.popen(cli .. ' recv api_cli_data --timeout 20000 --count 2'))
  os.execute('sleep 1')
  run([[exec api_cli_data 'netlink.send("to the cli\0"); netlink.send("2")']])
  t.eq(p:read('a'), 'to the cli\0' .. '2')
  t.eq(select(3, p:close()), 0)
  run('close api_cli_data')
  os.remove(path)
  -- A state without receive_callback: the send fails, status 1.
  assert(select(3, run('new api_cli_nocb')) == 0)
  out, err, code = run('send api_cli_nocb -', 'x')
  t.eq(code, 1)
  t.contains(err, 'receive_callback')
  run('close api_cli_nocb')
end)

t.done()
