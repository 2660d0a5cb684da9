-- SPDX-License-Identifier: MIT
-- The lunatik command-line tool: --json, version and status.
local t = require'testlib'
local lunatik = require'lunatik'

local clilib = require'clilib'
local run = clilib.run

-- Parses a JSON document with python3 (the VM runs the host's root, which
-- has it) and returns what `expr` (a Python expression over `d`) prints.
local function json(doc, expr)
  local path, script = os.tmpname(), os.tmpname()
  local f = assert(io.open(path, 'wb'))
  f:write(doc)
  f:close()
  f = assert(io.open(script, 'w'))
  f:write('import json, sys\nd = json.load(sys.stdin)\nprint(' .. expr .. ')\n')
  f:close()
  local p = assert(io.popen('python3 ' .. script .. ' <' .. path .. ' 2>&1'))
  local out = p:read('a')
  local _, _, code = p:close()
  os.remove(path)
  os.remove(script)
  t.eq(code, 0, 'not JSON: ' .. doc .. ' (' .. out .. ')')
  return (out:gsub('\n$', ''))
end

t.test('--json on list, exec, version and status parses back', function()
  assert(select(3, run('new api_cli_json --maxalloc 128K')) == 0)
  local out, err, code = run('list --json')
  t.eq(code, 0, err)
  t.eq(json(out, "[s['maxalloc'] for s in d['states'] if s['name'] == 'api_cli_json'][0]"),
    '131072')
  out, err, code = run([[exec api_cli_json --json 'return 1, "a\0b", nil, true, {}']])
  t.eq(code, 0, err)
  t.eq(json(out, "d['ok'], d['values'][:4], d['values'][4].startswith('table: ')"),
    "True [1, 'a\\x00b', None, True] True")
  out, err, code = run([[exec api_cli_json --json 'error("bad")']])
  t.eq(code, 1)
  t.eq(json(out, "d['ok'], 'bad' in d['error']"), 'False True')
  out, err, code = run([[exec api_cli_json --json 'print("hi", 1) print("a\0b") error("bad")']])
  t.eq(code, 1)
  t.eq(json(out, "d['ok'], repr(d['output']), d['output_truncated']"),
    "False 'hi\\t1\\na\\x00b\\n' False")
  out, err, code = run([[exec api_cli_json --json 'for i = 1, 70 do print(("p"):rep(999)) end return 1']])
  t.eq(code, 0, err)
  t.eq(json(out, "len(d['output']), d['output_truncated'], d['values']"),
    '65536 True [1]')
  out, err, code = run([[exec api_cli_json --json 'return "\255"']])
  t.eq(code, 0, err)
  json(out, "d['values']")
  out, err, code = run('version --json')
  t.eq(code, 0, err)
  t.eq(json(out, "d['cli'] == d['module'], d['module_loaded']"), 'True True')
  out, err, code = run('status --json')
  t.eq(code, 0, err)
  t.eq(json(out, "d['loaded'], d['limits']['nstates'] == len(d['states']), " ..
    "'api_cli_json' in [s['name'] for s in d['states']], " ..
    "d['limits']['maxstates'] == d['parameters']['maxstates'], " ..
    "type(d['parameters']['timeout_ms']).__name__, " ..
    "type(d['parameters']['callback_us']).__name__"),
    'True True True True int int')
  run('close api_cli_json')
end)

t.test('version and status as text', function()
  local out, err, code = run('version')
  t.eq(code, 0, err)
  local cli, module = out:match('^lunatik (%S+)\nmodule (%S+)\n$')
  t.ok(cli, out)
  t.eq(module, cli)
  local f = assert(io.open('/sys/module/lunatik/version'))
  t.eq(f:read('l'), module)
  f:close()
  out, err, code = run('status')
  t.eq(code, 0, err)
  t.contains(out, 'module: loaded, version ' .. module)
  t.contains(out, 'parameter maxstates: ')
  t.contains(out, 'parameter timeout_ms: ')
  t.contains(out, 'parameter callback_us: ')
  t.contains(out, 'states in this network namespace: ')
end)

t.done()
