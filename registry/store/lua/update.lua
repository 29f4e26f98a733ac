-- ARGV: id, status ('' = keep), extension ('' = keep), now_ns, now_ms, retention_ms
-- A renewal when status is ''; a status change (journalled) otherwise.
-- Returns {static, live, ext} or nil when the id is unknown.
local id, new_status, new_ext = ARGV[1], ARGV[2], ARGV[3]
local now_ns, now_ms, retention_ms = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
if expired(id, now_ms, retention_ms) then return nil end
local live = redis.call('HGET', K_LIVE, id)
if not live then return nil end
local _, ttl, status, service = parse_live(live)
if new_status ~= '' then status = new_status end
live = now_ns .. '|' .. ttl .. '|' .. status .. '|' .. service
redis.call('HSET', K_LIVE, id, live)
if new_ext ~= '' then redis.call('HSET', K_EXT, id, new_ext) end
schedule(id, status, ttl, now_ms)
local rev = bump(service, tonumber(string.sub(now_ns, 1, -4)))
local static = redis.call('HGET', K_INST, id)
local ext = redis.call('HGET', K_EXT, id)
if new_status ~= '' then
  journal('UPDATED', id, live, ext or nil, static, rev, now_ms, retention_ms)
end
return {static, live, ext or false}
