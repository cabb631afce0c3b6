-- Operators' view of one schedule. ARGV: now_ms
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local s = redis.call('HMGET', KEYS[6], 'admitted_total', 'abandoned_total', 'seq', 'serving',
  'seats_free')
local claims = claims_key()
redis.call('ZREMRANGEBYSCORE', claims, '-inf', now)
local c = load_cfg()
local alive, stale = 0, 0
if c then alive, stale = line_counts(c, now) end
local paused = c and c.paused and 1 or 0
local steer = redis.call('HMGET', KEYS[1], 'rate_reason', 'rate_p95_ms')
return {alive, redis.call('ZCARD', KEYS[4]), redis.call('SCARD', KEYS[5]),
  tonumber(s[1]) or 0, (tonumber(s[2]) or 0) + stale, tonumber(s[3]) or 0,
  tostring(measured_rate(now)), paused, tonumber(s[4]) or 0, c and c.rate or 0,
  steer[1] or 'fixed', steer[2] or '', s[5] or '', redis.call('ZCARD', claims),
  c and c.max_active or 0}
