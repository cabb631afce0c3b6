-- A fan's heartbeat and claim: keeps a waiting place, admits lazily (so admission goes on
-- even while the periodic tick is not running) and answers where the fan is.
-- KEYS 7: the fan's record bucket. ARGV: user, now_ms, opening step size
local user, now = ARGV[1], tonumber(ARGV[2])
local c = load_cfg()
if not c then return {'no_config'} end
open_if_due(c, now, tonumber(ARGV[3]))
local entry = beat(c, now, KEYS[7], user)
admit(c, now)
local place = place_of(c, now, user, entry)
if not place then return {'not_in_queue'} end
-- Once the sale has closed (or the show was cancelled) the line moves no more: a fan still
-- waiting is told so, as the public state says, not shown an ETA that never comes.
if place[1] ~= 'admitted' and closed(c, now) then return {'closed'} end
return {place[1], place[2], place[3], place[4], place[5], 0, c.opens_ms, c.heartbeat_ms}
