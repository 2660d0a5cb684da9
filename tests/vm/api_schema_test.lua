-- SPDX-License-Identifier: MIT
-- The attribute schema is written once, in the UAPI header: the
-- "Attributes" table gives each attribute's type and bounds, and each
-- command's "Accepts:" line the attributes its request may carry. This
-- holds the running module's policies (read back from the generic netlink
-- controller by lunatik-schema) and liblunatik's reply parser to them.
local t = require'testlib'

local here = debug.getinfo(1, 'S').source:match'^@(.*)/[^/]*$' or '.'
local header_path = here .. '/../../include/uapi/linux/lunatik.h'
local build = os.getenv'LUNATIK_BUILD' or 'build'
local tool = build .. '/user/tests/schema/lunatik-schema'

local function read(path)
  local f = assert(io.open(path, 'rb'))
  local text = f:read'a'
  f:close()
  return text
end

local header = read(header_path)

-- The values of the header's #defines, for the bounds the table names.
local defines = {}
for name, value in header:gmatch'\n#define%s+(LUNATIK_[%w_]+)%s+([^\n]+)' do
  local chunk = load('return ' .. value:gsub('/%*.*', ''), name, 't', {})
  local ok, v = pcall(chunk or error)
  if ok and math.type(v) == 'integer' then defines[name] = v end
end

local function bound(expr)
  local chunk = load('return ' .. expr:gsub('LUNATIK_[%w_]+', function(n)
    return tostring(assert(defines[n], 'no #define ' .. n))
  end), expr, 't', {})
  return chunk()
end

-- Numbers of an enum's members, in order from 0.
local function enum(name)
  local body = assert(header:match('enum ' .. name .. ' {(.-)}'), name)
  local numbers, i = {}, 0
  for member in body:gmatch'([%w_]+),' do
    numbers[member], i = i, i + 1
  end
  return numbers
end

local attr_numbers = enum'lunatik_attr'
local cmd_numbers = enum'lunatik_cmd'

-- The entries of the comment block that begins with `title`: a line
-- " * NAME rest" opens one, the lines indented with tabs after it continue
-- it. Returns NAME -> its text on one line.
local function entries(title, prefix)
  local text = assert(header:match('\n/%*\n %* ' .. title .. '%.\n(.-)%*/'),
    title)
  local found, name = {}, nil
  for line in text:gmatch'[^\n]*' do
    local body = line:gsub('^ %*', '')
    local opened, rest = body:match('^ (' .. prefix .. '[%w_]*)%s*(.*)$')
    if opened then
      name, found[opened] = opened, rest
    elseif name and body:find'^\t' then
      found[name] = found[name] .. ' ' .. body
    else
      name = nil
    end
  end
  for k, v in pairs(found) do
    found[k] = v:gsub('%s+', ' '):gsub('^ ', ''):gsub(' $', '')
  end
  return found
end

-- The table: each attribute's type and, where it names them, its bounds.
local kinds = {
  {'NUL%-terminated string', 'NUL_STRING'}, {'u64', 'U64'}, {'u32', 'U32'},
  {'binary', 'BINARY'}, {'nest', 'NESTED'}, {'flag', 'FLAG'},
  {'padding', 'PAD'},
}
local attrs = {}
for name, desc in pairs(entries('Attributes', 'LUNATIK_ATTR_')) do
  local kind
  for _, k in ipairs(kinds) do
    if desc:find('^' .. k[1]) then kind = k[2] break end
  end
  local low, high = desc:match'(%d+) to (LUNATIK_[%w_]+[ %-%d]*)'
  attrs[name] = {
    kind = kind,
    low = low and tonumber(low),
    high = high and bound((high:gsub('%s+$', ''))),
    desc = desc,
  }
end

-- Each command's Accepts: line, as a set of attribute names.
local accepts = {}
for cmd, text in pairs(entries('Commands', 'LUNATIK_CMD_')) do
  local line = text:match'Accepts:(.-)%.'
  if line then
    local set = {}
    for a in line:gmatch'LUNATIK_ATTR_[%w_]+' do set[a] = true end
    accepts[cmd] = set
  end
end

-- The tool's output: ops, policies and the client's types.
local ops, policies, client = {}, {}, {}
local output, status

t.test('the header names a type for every attribute', function()
  for name, number in pairs(attr_numbers) do
    if number > 0 and not name:find'^__' then
      t.ok(attrs[name], name .. ' is not in the Attributes table')
      t.ok(attrs[name] and attrs[name].kind,
        name .. ': no type in "' .. (attrs[name] or {desc = ''}).desc .. '"')
    end
  end
  for name in pairs(attrs) do
    t.ok(attr_numbers[name], name .. ' is in the table but not the enum')
  end
end)

t.test('lunatik-schema reads the module\'s policies', function()
  local p = assert(io.popen(string.format('%q 2>&1', tool)))
  output = p:read'a'
  local _, _, code = p:close()
  status = code
  for line in output:gmatch'[^\n]+' do
    local cmd, policy = line:match'^op (%d+) (%d+)$'
    if cmd then ops[tonumber(cmd)] = tonumber(policy) end
    local idx, attr, kind, keys = line:match'^policy (%d+) (%d+) (%u[%w_]*)(.*)$'
    if idx then
      idx, attr = tonumber(idx), tonumber(attr)
      policies[idx] = policies[idx] or {}
      local d = {kind = kind}
      for k, v in keys:gmatch'(%l[%l_]*) (%d+)' do d[k] = v end
      policies[idx][attr] = d
    end
    local a, ckind = line:match'^client (%d+) (%u[%w_]*)'
    if a then client[tonumber(a)] = ckind end
  end
  t.eq(status, 0, 'exit status; output:\n' .. output)
  t.ok(next(ops), 'no op in the dump:\n' .. output)
end)

local function name_of(numbers, n)
  for name, v in pairs(numbers) do
    if v == n then return name end
  end
  return tostring(n)
end

t.test('each request\'s policy takes exactly its Accepts: line', function()
  t.ok(next(accepts), 'no Accepts: line in the header')
  for cmd, set in pairs(accepts) do
    local number = assert(cmd_numbers[cmd], cmd)
    local policy = ops[number] and policies[ops[number]] or {}
    t.ok(ops[number], cmd .. ' has no doit policy in the module')
    for attr in pairs(set) do
      t.ok(policy[attr_numbers[attr]], cmd .. ': the module refuses ' .. attr)
    end
    for n in pairs(policy) do
      local attr = name_of(attr_numbers, n)
      t.ok(set[attr], cmd .. ': the module takes ' .. attr ..
        ', which its Accepts: line does not name')
    end
  end
  for number in pairs(ops) do
    t.ok(accepts[name_of(cmd_numbers, number)], name_of(cmd_numbers, number) ..
      ' is an op of the module without an Accepts: line')
  end
end)

-- What the kernel reports as a value range when the policy sets none.
local full = {U32 = '4294967295', U64 = '18446744073709551615'}

t.test('the module\'s policies have the table\'s types and bounds', function()
  local seen = 0
  for _, policy in pairs(policies) do
    for n, d in pairs(policy) do
      local name = name_of(attr_numbers, n)
      local want = attrs[name]
      t.ok(want, 'the module has a policy for ' .. name)
      if want then
        seen = seen + 1
        t.eq(d.kind, want.kind, name .. ' type')
        if want.kind == 'NUL_STRING' or want.kind == 'BINARY' then
          t.eq(tonumber(d.max_length), want.high, name .. ' max_length')
        elseif full[want.kind] then
          t.eq(d.min_value, tostring(want.low or 0), name .. ' min_value')
          t.eq(d.max_value, want.high and tostring(want.high) or
            full[want.kind], name .. ' max_value')
        end
      end
    end
  end
  t.ok(seen > 0, 'no attribute policy in the dump')
end)

-- libmnl has no binary check: the client takes binary as UNSPEC.
local client_kind = {BINARY = 'UNSPEC', PAD = 'UNSPEC'}

t.test('the client parses each attribute as the table types it', function()
  for name, want in pairs(attrs) do
    local n = attr_numbers[name]
    t.eq(client[n], client_kind[want.kind] or want.kind, name)
  end
end)

t.done()
