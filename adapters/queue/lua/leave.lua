-- Give up the place, or the active slot. ARGV: user
local user = ARGV[1]
local removed = redis.call('ZREM', KEYS[2], user) + redis.call('ZREM', KEYS[4], user)
  + redis.call('SREM', KEYS[5], user)
redis.call('ZREM', KEYS[3], user)
return removed
