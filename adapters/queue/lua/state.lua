-- The public state of the line, the same for every fan (read only). ARGV: now_ms
-- Returns {phase, serving, waiting, admitted_per_second, opens_ms, seats free, seats held,
-- heartbeat_ms, ETA points, the admission rate in force} (the seats '' until the admission
-- tick has counted them). The ETA points, {position, eta_seconds, ...} at positions growing
-- by a quarter from 1 to the last place in line (while the line is open or paused), let an
-- app server tell a waiting fan its ETA from this answer alone (its heartbeat:
-- domain.queue.usecases.CheckPlace), by the rule every place is told.
local now = tonumber(ARGV[1])
local c = load_cfg()
if not c then return {'no_config'} end
local s = redis.call('HMGET', KEYS[6], 'opened', 'serving', 'seats_free', 'seats_held', 'seq')
local alive = line_counts(c, now)
local phase = 'open'
if closed(c, now) then phase = 'closed'
elseif c.paused then phase = 'paused'
elseif s[1] ~= '1' and (now < c.opens_ms or redis.call('SCARD', KEYS[5]) > 0) then
  -- Before opening, or until the early arrivals have all been moved into the line.
  phase = 'pre_queue'
  alive = alive + redis.call('SCARD', KEYS[5])
end
local points = {}
if phase == 'open' or phase == 'paused' then
  local speed = line_speed(c, now)
  local last = math.max(1, (tonumber(s[5]) or 0) - (tonumber(s[2]) or 0))
  local position = 1
  while true do
    points[#points + 1] = position
    points[#points + 1] = eta_at(speed, position)
    if position >= last then break end
    position = math.min(last, math.max(position + 1, math.ceil(position * 1.25)))
  end
end
return {phase, tonumber(s[2]) or 0, alive, tostring(measured_rate(now)), c.opens_ms,
  s[3] or '', s[4] or '', c.heartbeat_ms, points, c.rate}
