-- Shared by every write script. KEYS (one namespace, one hash tag):
--   1 inst  HASH id -> static record JSON [service,type,value,ttl,metadata,tags,registered_ns]
--   2 live  HASH id -> "<last_renewal_ns>|<ttl>|<status>|<service>"
--   3 ext   HASH id -> extension text (only when there is one)
--   4 dl    ZSET id -> expiry deadline in ms (instances that can expire)
--   5 idx   ZSET "<service>\0<id>" (score 0): the per-service index, by lex range
--   6 svcs  HASH service -> instance count
--   7 srev  HASH service -> revision of its last change
--   8 rev   STRING namespace revision
--   9 crev  STRING revision of the last journalled change
--  10 jr    LIST "<at_ms> <entry JSON>\n<static JSON>" journal, oldest first
--  11 cnt   HASH status -> stored instances with that status; the field '|' (never
--           a status: live records are split on it) says the counts are complete
--           (count.lua rebuilds them once when it is missing)
local K_INST, K_LIVE, K_EXT, K_DL, K_IDX, K_SVCS, K_SREV, K_REV, K_CREV, K_JR, K_CNT =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10],
  KEYS[11]

local OUT_OF_SERVICE = 'OUT_OF_SERVICE'

local function parse_live(live)
  local hb, ttl, status, service = string.match(live, '^(%d+)|(%d+)|([^|]*)|(.*)$')
  return hb, tonumber(ttl), status, service
end

-- Every write that adds, removes or changes the status of a stored instance
-- counts it here, in the same atomic step.
local function count(status, delta)
  if redis.call('HINCRBY', K_CNT, status, delta) <= 0 then
    redis.call('HDEL', K_CNT, status)
  end
end

local function schedule(id, status, ttl, now_ms)
  if status ~= OUT_OF_SERVICE and ttl > 0 then
    redis.call('ZADD', K_DL, now_ms + ttl * 1000, id)
  else
    redis.call('ZREM', K_DL, id)
  end
end

-- Revisions are max(previous + 1, now in microseconds): they never go back, not
-- even when Redis loses data or fails over to a replica that lagged, so a cache
-- keyed on them cannot serve a body from before the loss.
local function bump(service, now_us)
  local rev = (tonumber(redis.call('GET', K_REV)) or 0) + 1
  if rev < now_us then rev = now_us end
  rev = string.format('%.0f', rev)
  redis.call('SET', K_REV, rev)
  redis.call('HSET', K_SREV, service, rev)
  return rev
end

local function journal(kind, id, live, ext, static, rev, now_ms, retention_ms)
  redis.call('SET', K_CREV, rev)
  local entry = cjson.encode({kind, id, live, ext or false, rev})
  redis.call('RPUSH', K_JR, now_ms .. ' ' .. entry .. '\n' .. static)
  local horizon = now_ms - retention_ms
  while true do
    local first = redis.call('LINDEX', K_JR, 0)
    if not first then break end
    local at = tonumber(string.match(first, '^(%d+) '))
    if at >= horizon then break end
    redis.call('LPOP', K_JR)
  end
end

local function remove(id, now_ms, retention_ms)
  local now_us = now_ms * 1000
  local static = redis.call('HGET', K_INST, id)
  if not static then return nil end
  local live = redis.call('HGET', K_LIVE, id)
  local ext = redis.call('HGET', K_EXT, id)
  local _, _, status, service = parse_live(live)
  count(status, -1)
  redis.call('HDEL', K_INST, id)
  redis.call('HDEL', K_LIVE, id)
  redis.call('HDEL', K_EXT, id)
  redis.call('ZREM', K_DL, id)
  redis.call('ZREM', K_IDX, service .. '\0' .. id)
  if redis.call('HINCRBY', K_SVCS, service, -1) <= 0 then
    redis.call('HDEL', K_SVCS, service)
  end
  local rev = bump(service, now_us)
  journal('REMOVED', id, live, ext, static, rev, now_ms, retention_ms)
  return {static, live, ext or false}
end

-- An instance past its deadline is gone, even before a sweep removes it: remove
-- it now (journalled like the sweep would) and report it missing.
local function expired(id, now_ms, retention_ms)
  local deadline = redis.call('ZSCORE', K_DL, id)
  if deadline and tonumber(deadline) < now_ms then
    remove(id, now_ms, retention_ms)
    return true
  end
  return false
end

-- Compare-and-set for rules evaluated outside the script: the write happens only
-- if the record is still the copy the rule saw. mode '' checks nothing; 'absent'
-- wants no record; 'present' wants this static text, extension and status.
-- A script whose expectation fails returns conflict(id): the current copy, so the
-- caller decides again without another read.
local function unchanged(id, mode, static, ext, status)
  if mode == '' then return true end
  local current = redis.call('HGET', K_INST, id)
  if mode == 'absent' then return not current end
  if current ~= static then return false end
  if (redis.call('HGET', K_EXT, id) or '') ~= ext then return false end
  local live = redis.call('HGET', K_LIVE, id)
  local _, _, current_status = parse_live(live)
  return current_status == status
end

local function conflict(id)
  local static = redis.call('HGET', K_INST, id)
  if not static then return {'CONFLICT'} end
  return {'CONFLICT', static, redis.call('HGET', K_LIVE, id), redis.call('HGET', K_EXT, id) or ''}
end
