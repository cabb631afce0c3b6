-- KEYS: the group's pending events and state of one schedule. ARGV: sequence, ttl seconds.
-- Takes the event out of the pending set and raises the "handled up to" mark to it, never
-- lowering it: a late duplicate leaves the mark be.
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[2], 'handled') or '0')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[2], 'handled', ARGV[1])
end
redis.call('HDEL', KEYS[2], 'failures:' .. ARGV[1], 'waiting:' .. ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return current
