-- ARGV: id, now_ms, retention_ms. Returns {static, live, ext} or nil.
return remove(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
