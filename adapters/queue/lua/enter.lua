-- Enter the waiting room, or come back to the same place.
-- KEYS 7: the fan's record bucket; 8, 9: rate-limit buckets of this user and of this address.
-- ARGV: user, now_ms, user_rate, user_burst, ip_rate, ip_burst, opening step size
local user, now = ARGV[1], tonumber(ARGV[2])
local c = load_cfg()
if not c then return {'no_config'} end
if closed(c, now) then return {'closed'} end

local wait_ms = take(KEYS[8], tonumber(ARGV[3]), tonumber(ARGV[4]), now)
if wait_ms == 0 then wait_ms = take(KEYS[9], tonumber(ARGV[5]), tonumber(ARGV[6]), now) end
if wait_ms > 0 then return {'rate_limited', wait_ms} end

open_if_due(c, now, tonumber(ARGV[7]))
local created, entry = 0, nil
if now < c.opens_ms then
  created = redis.call('SADD', KEYS[5], user)
else
  entry = beat(c, now, KEYS[7], user)
  if not entry and not active_until(user, now) and redis.call('SISMEMBER', KEYS[5], user) == 0 then
    entry = redis.call('HINCRBY', KEYS[6], 'seq', 1)
    redis.call('RPUSH', KEYS[2], user)
    add_fan(KEYS[7], user, entry, now)
    created = 1
  end
  admit(c, now)
end
local place = place_of(c, now, user, entry)
return {place[1], place[2], place[3], place[4], place[5], created, c.opens_ms, c.heartbeat_ms}
