-- The periodic admission step: the seats left (when counted), one bounded step of an
-- opening under way, the heartbeat seconds gone stale summed into 'old', then admission.
-- ARGV: now_ms, early arrivals to move per step, seats free to hold and seats held in the
-- database ('' when not counted: the last count stands).
-- Returns {1 while an opening is under way else 0, admitted users in order}.
local now = tonumber(ARGV[1])
local c = load_cfg()
if not c then return {0, {}} end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[6], 'seats_free', ARGV[3], 'seats_held', ARGV[4]) end
if open_if_due(c, now, tonumber(ARGV[2])) then return {1, {}} end
local from = alive_from(c, now)
if from > tonumber(redis.call('HGET', KEYS[6], 'folded_below') or '0') then
  local all = redis.call('HGETALL', KEYS[3])
  local old = 0
  for i = 1, #all, 2 do
    if all[i] ~= 'old' and tonumber(all[i]) < from then
      old = old + tonumber(all[i + 1])
      redis.call('HDEL', KEYS[3], all[i])
    end
  end
  if old > 0 then redis.call('HINCRBY', KEYS[3], 'old', old) end
  redis.call('HSET', KEYS[6], 'folded_below', from)
  folded_below = from
end
local admitted = admit(c, now)
count_slot_time(now)
return {0, admitted}
