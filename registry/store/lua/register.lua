-- ARGV: id, service, static, status, ttl, extension ('' = none), now_ns, now_ms,
--       capacity (-1 = unlimited), retention_ms,
--       expect_mode, expect_static, expect_ext, expect_status (see unchanged())
-- Returns {static, live, ext}, {'CAPACITY'} or conflict(id) (lua/common.lua).
local id, service, static, status = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ttl, ext = tonumber(ARGV[5]), ARGV[6]
local now_ns, now_ms, capacity, retention_ms = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
if not unchanged(id, ARGV[11], ARGV[12], ARGV[13], ARGV[14]) then
  return conflict(id)
end
local existed = redis.call('HEXISTS', K_INST, id) == 1
if not existed and capacity >= 0 and redis.call('HLEN', K_INST) >= capacity then
  return {'CAPACITY'}
end
if existed then
  local _, _, old_status = parse_live(redis.call('HGET', K_LIVE, id))
  count(old_status, -1)
end
count(status, 1)
local live = now_ns .. '|' .. ttl .. '|' .. status .. '|' .. service
redis.call('HSET', K_INST, id, static)
redis.call('HSET', K_LIVE, id, live)
if ext ~= '' then redis.call('HSET', K_EXT, id, ext) else redis.call('HDEL', K_EXT, id) end
schedule(id, status, ttl, now_ms)
if not existed then
  redis.call('ZADD', K_IDX, 0, service .. '\0' .. id)
  redis.call('HINCRBY', K_SVCS, service, 1)
end
local rev = bump(service, tonumber(string.sub(now_ns, 1, -4)))
journal('REGISTERED', id, live, ext ~= '' and ext or nil, static, rev, now_ms, retention_ms)
return {static, live, ext}
