-- Write-through: seats whose status the database just changed, patched into the stored
-- seat map in place, so the next read shows them (the fan who held them included).
-- KEYS: body, offsets, meta, log. ARGV: status, seat ids ...
-- Each status sits in a slot of fixed width in the body, so it is overwritten in place.
-- Every patch is also logged (the last LOG_MAX seats), so that a map being built from the
-- database meanwhile gets the patches it may have missed when it is stored.
local LOG_MAX = 5000
local SLOT = {available = '"available"', held = '"held"     ', sold = '"sold"     '}
local value = SLOT[ARGV[1]]
if not value then return redis.error_reply('unknown seat status ' .. ARGV[1]) end
-- Only a stored map is patched: SETRANGE on a missing key would create one of zero bytes.
local stored = redis.call('EXISTS', KEYS[1]) == 1
for i = 2, #ARGV do
  if stored then
    local at = redis.call('HGET', KEYS[2], ARGV[i])
    if at then redis.call('SETRANGE', KEYS[1], tonumber(at), value) end
  end
  redis.call('RPUSH', KEYS[4], ARGV[i] .. ':' .. ARGV[1])
end
redis.call('LTRIM', KEYS[4], -LOG_MAX, -1)
return redis.call('HINCRBY', KEYS[3], 'logged', #ARGV - 1)
