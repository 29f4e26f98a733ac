-- ARGV: service ('' with ARGV[2] = 'all' for every instance), mode
-- Returns a flat list: id, static, live, ext, ... for the selected instances.
local service, mode = ARGV[1], ARGV[2]
local ids
if mode == 'all' then
  ids = redis.call('HKEYS', K_LIVE)
elseif mode == 'one' then
  ids = {service}
else
  local members = redis.call('ZRANGEBYLEX', K_IDX, '[' .. service .. '\0', '(' .. service .. '\1')
  ids = {}
  local skip = #service + 2
  for i, member in ipairs(members) do ids[i] = string.sub(member, skip) end
end
local out = {}
for _, id in ipairs(ids) do
  local static = redis.call('HGET', K_INST, id)
  if static then
    out[#out + 1] = id
    out[#out + 1] = static
    out[#out + 1] = redis.call('HGET', K_LIVE, id)
    out[#out + 1] = redis.call('HGET', K_EXT, id) or ''
  end
end
return out
