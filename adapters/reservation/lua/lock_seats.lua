-- Fail-fast seat locks: all of the seats or none.
-- KEYS[1]: the schedule's waiting-room settings (for hold_ttl_ms); KEYS[2..]: one per seat.
-- All share the {s:<id>} tag. ARGV: owner, default ttl_ms.
-- A lock lives as long as a hold of this schedule, so it never outlives the hold it guards.
-- Returns 1 when every seat is now ours, 0 when one is taken.
local owner = ARGV[1]
local ttl = tonumber(redis.call('HGET', KEYS[1], 'hold_ttl_ms') or ARGV[2])
for i = 2, #KEYS do
  local holder = redis.call('GET', KEYS[i])
  if holder and holder ~= owner then return 0 end
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], owner, 'PX', ttl)
end
return 1
