-- ARGV: id, now_ms, retention_ms. Returns {static, live, ext} or nil.
local id, now_ms, retention_ms = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if expired(id, now_ms, retention_ms) then return nil end
return remove(id, now_ms, retention_ms)
