-- ARGV: id, status ('' = keep), extension ('' = keep, '-' = none), now_ns, now_ms,
--       retention_ms, expect_mode, expect_static, expect_ext, expect_status
--       (see unchanged()), static ('' = keep), journal kind ('UPDATED' when
--       absent; 'REGISTERED' for an update that counts as a re-registration)
-- ARGV 7-12 may be left out (a renewal sends six): unconditional, static kept.
-- A renewal when status is '' (returns 1: the hot path sends nothing back); a
-- change (journalled) otherwise, returning {static, live, ext}.
-- Returns nil when the id is unknown, conflict(id) when the record changed.
local id, new_status, new_ext = ARGV[1], ARGV[2], ARGV[3]
local now_ns, now_ms, retention_ms = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local new_static = ARGV[11] or ''
local kind = ARGV[12] or 'UPDATED'
if expired(id, now_ms, retention_ms) then return nil end
local live = redis.call('HGET', K_LIVE, id)
if not live then return nil end
if not unchanged(id, ARGV[7] or '', ARGV[8], ARGV[9], ARGV[10]) then
  return conflict(id)
end
local _, ttl, status, service = parse_live(live)
if new_status ~= '' then
  if new_status ~= status then
    count(status, -1)
    count(new_status, 1)
  end
  status = new_status
end
live = now_ns .. '|' .. ttl .. '|' .. status .. '|' .. service
redis.call('HSET', K_LIVE, id, live)
if new_ext == '-' then
  redis.call('HDEL', K_EXT, id)
elseif new_ext ~= '' then
  redis.call('HSET', K_EXT, id, new_ext)
end
if new_static ~= '' then redis.call('HSET', K_INST, id, new_static) end
schedule(id, status, ttl, now_ms)
local rev = bump(service, tonumber(string.sub(now_ns, 1, -4)))
if new_status == '' then return 1 end
local static = redis.call('HGET', K_INST, id)
local ext = redis.call('HGET', K_EXT, id)
journal(kind, id, live, ext or nil, static, rev, now_ms, retention_ms)
return {static, live, ext or false}
