-- Everything Redis checks for a hold, in one call, in this order: the fan's active slot
-- (extended, as acting does), the fan's hold rate limit, then the fail-fast seat locks, all
-- of the seats or none.
-- Runs after the waiting room's lib.lua (adapters/queue/lua), for touch(), take() and
-- seats_taken() (the seats left, which admission follows).
-- KEYS[1..6]: the schedule's waiting-room keys (lib.lua); KEYS[7]: the fan's hold bucket;
-- KEYS[8..]: one lock per seat. All share the {s:<id>} tag.
-- ARGV: user, lock owner, now_ms, holds a second, burst, default lock ttl_ms, and '1' for a
-- fan's own hold ('' for an operator's or an internal one: only the seat locks).
-- A lock lives as long as a hold of this schedule, so it never outlives the hold it guards.
-- Returns {'ok'}, {'not_admitted'}, {'rate_limited', ms to wait} or {'busy'}.
local user, owner, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
if ARGV[7] == '1' then
  if touch(user, now) == 0 then return {'not_admitted'} end
  local wait = take(KEYS[7], tonumber(ARGV[4]), tonumber(ARGV[5]), now)
  if wait > 0 then return {'rate_limited', wait} end
end
local ttl = tonumber(redis.call('HGET', KEYS[1], 'hold_ttl_ms') or ARGV[6])
for i = 8, #KEYS do
  local holder = redis.call('GET', KEYS[i])
  if holder and holder ~= owner then return {'busy'} end
end
for i = 8, #KEYS do
  redis.call('SET', KEYS[i], owner, 'PX', ttl)
end
seats_taken(user, #KEYS - 7)
return {'ok'}
