-- KEYS[1] the schedule's hash of handled sequences; ARGV: group, sequence, ttl seconds.
-- Raises the group's mark to the sequence, never lowers it: a late duplicate leaves it be.
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return current
