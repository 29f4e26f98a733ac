-- ARGV: now_ms, retention_ms, batch. Removes instances whose deadline has passed
-- (strictly: deadline < now). Returns how many went.
local now_ms, retention_ms, batch = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', K_DL, '-inf', '(' .. now_ms, 'LIMIT', 0, batch)
for _, id in ipairs(ids) do
  remove(id, now_ms, retention_ms)
end
return #ids
