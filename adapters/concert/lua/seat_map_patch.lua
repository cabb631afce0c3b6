-- Write-through: seats whose status the database just changed, patched into the stored
-- seat map in place, so the next read shows them (the fan who held them included).
-- KEYS: body, offsets, meta, log. ARGV: the status as its slot in the body (fixed width,
-- so it is overwritten in place), how many seats the log keeps, seat ids ...
-- Every patch is also logged, so that a map being built from the database meanwhile gets
-- the patches it may have missed when it is stored.
local slot, log_max = ARGV[1], tonumber(ARGV[2])
-- Only a stored map is patched: SETRANGE on a missing key would create one of zero bytes.
local stored = redis.call('EXISTS', KEYS[1]) == 1
for i = 3, #ARGV do
  if stored then
    local at = redis.call('HGET', KEYS[2], ARGV[i])
    if at then write_status(KEYS[1], at, slot) end
  end
  redis.call('RPUSH', KEYS[4], ARGV[i] .. ':' .. slot)
end
redis.call('LTRIM', KEYS[4], -log_max, -1)
return redis.call('HINCRBY', KEYS[3], 'logged', #ARGV - 2)
