-- Heartbeats an app server answered on its own (domain.queue.usecases.CheckPlace) and
-- recorded here in one call a second: each keeps its fan's waiting place as the fan's own
-- call would, then one admission step, as a fan's call makes.
-- ARGV: now_ms, opening step size, user ids. Returns the users who had no place left (lost,
-- left, or never had one), not counting those admitted meanwhile.
local now = tonumber(ARGV[1])
local c = load_cfg()
if not c then return {} end
open_if_due(c, now, tonumber(ARGV[2]))
local lost = {}
for i = 3, #ARGV do
  local user = ARGV[i]
  if not beat(c, now, fan_key(user), user) and not active_until(user, now) then
    lost[#lost + 1] = user
  end
end
admit(c, now)
return lost
