-- Give up the place, or the active slot. KEYS 7: the fan's record bucket. ARGV: user
local user = ARGV[1]
local removed = redis.call('ZREM', KEYS[4], user) + redis.call('SREM', KEYS[5], user)
redis.call('ZREM', claims_key(), user)  -- a fan who pays or gives up claims no seat
local entry, second = read_fan(KEYS[7], user)
if entry then
  drop_fan(KEYS[7], user, second)  -- the line passes the place when it gets there
  removed = removed + 1
end
return removed
