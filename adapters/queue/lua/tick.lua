-- The periodic admission step: drop abandoned places anywhere in the queue (bounded per
-- call), then admit. ARGV: now_ms, max_sweep. Returns the admitted users in order.
local now, max_sweep = tonumber(ARGV[1]), tonumber(ARGV[2])
local c = load_cfg()
if not c then return {} end
open_if_due(c, now)
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - c.abandon_ms),
  'LIMIT', 0, max_sweep)
for _, user in ipairs(stale) do
  redis.call('ZREM', KEYS[2], user)
  redis.call('ZREM', KEYS[3], user)
end
if #stale > 0 then redis.call('HINCRBY', KEYS[6], 'abandoned_total', #stale) end
return admit(c, now)
