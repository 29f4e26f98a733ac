-- ARGV: now_ms. Returns a flat list: status, count, ... of the live instances
-- (those past their deadline but not swept yet are left out, as reads leave
-- them out). O(1) in the namespace's size, plus O(instances awaiting the sweep).
local now_ms = tonumber(ARGV[1])
if redis.call('HEXISTS', K_CNT, '|') == 0 then
  -- Counts never kept (data written before they existed, or lost): count once.
  local counts = {}
  for _, live in ipairs(redis.call('HVALS', K_LIVE)) do
    local _, _, status = parse_live(live)
    counts[status] = (counts[status] or 0) + 1
  end
  redis.call('DEL', K_CNT)
  local flat = {'|', 1}
  for status, n in pairs(counts) do
    flat[#flat + 1] = status
    flat[#flat + 1] = n
  end
  redis.call('HSET', K_CNT, unpack(flat))
end
local counts = {}
local flat = redis.call('HGETALL', K_CNT)
for i = 1, #flat, 2 do
  if flat[i] ~= '|' then counts[flat[i]] = tonumber(flat[i + 1]) end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_DL, '-inf', '(' .. now_ms)) do
  local _, _, status = parse_live(redis.call('HGET', K_LIVE, id))
  counts[status] = (counts[status] or 0) - 1
end
local out = {}
for status, n in pairs(counts) do
  if n > 0 then
    out[#out + 1] = status
    out[#out + 1] = n
  end
end
return out
