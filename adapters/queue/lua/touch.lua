-- Is the fan still active? Acting (holding, paying) extends the slot by active_ttl.
-- ARGV: user, now_ms. Returns the new expiry, or 0 when the fan is not active.
local user, now = ARGV[1], tonumber(ARGV[2])
local until_ms = tonumber(redis.call('ZSCORE', KEYS[4], user))
if not until_ms or until_ms <= now then return 0 end
local ttl = tonumber(redis.call('HGET', KEYS[1], 'active_ttl_ms') or '0')
local new_until = math.max(until_ms, now + ttl)
redis.call('ZADD', KEYS[4], 'XX', new_until, user)
return new_until
