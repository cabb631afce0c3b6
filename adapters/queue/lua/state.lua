-- The public state of the line, the same for every fan (read only). ARGV: now_ms
-- Returns {phase, serving, waiting, admitted_per_second, opens_ms, seats free, seats held}
-- (the seats '' until the admission tick has counted them).
local now = tonumber(ARGV[1])
local c = load_cfg()
if not c then return {'no_config'} end
local s = redis.call('HMGET', KEYS[6], 'opened', 'serving', 'seats_free', 'seats_held')
local alive = line_counts(c, now)
local phase = 'open'
if closed(c, now) then phase = 'closed'
elseif c.paused then phase = 'paused'
elseif s[1] ~= '1' and (now < c.opens_ms or redis.call('SCARD', KEYS[5]) > 0) then
  -- Before opening, or until the early arrivals have all been moved into the line.
  phase = 'pre_queue'
  alive = alive + redis.call('SCARD', KEYS[5])
end
return {phase, tonumber(s[2]) or 0, alive, tostring(measured_rate(now)), c.opens_ms,
  s[3] or '', s[4] or ''}
