-- Enter the waiting room, or come back to the same place.
-- KEYS 7, 8: rate-limit buckets of this user and of this client address.
-- ARGV: user, now_ms, user_rate, user_burst, ip_rate, ip_burst
local user, now = ARGV[1], tonumber(ARGV[2])
local c = load_cfg()
if not c then return {'no_config'} end
if closed(c, now) then return {'closed'} end

local wait_ms = take(KEYS[7], tonumber(ARGV[3]), tonumber(ARGV[4]), now)
if wait_ms == 0 then wait_ms = take(KEYS[8], tonumber(ARGV[5]), tonumber(ARGV[6]), now) end
if wait_ms > 0 then return {'rate_limited', wait_ms} end

open_if_due(c, now)
local created = 0
if now < c.opens_ms then
  created = redis.call('SADD', KEYS[5], user)
else
  local active_until = tonumber(redis.call('ZSCORE', KEYS[4], user))
  local active = active_until and active_until > now
  if not active and not redis.call('ZSCORE', KEYS[2], user) then
    local entry = redis.call('HINCRBY', KEYS[6], 'seq', 1)
    redis.call('ZADD', KEYS[2], entry, user)
    created = 1
  end
  if redis.call('ZSCORE', KEYS[2], user) then redis.call('ZADD', KEYS[3], now, user) end
  admit(c, now)
end
local place = place_of(c, now, user)
return {place[1], place[2], place[3], place[4], place[5], created, c.opens_ms}
