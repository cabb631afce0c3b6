-- Where is this fan? Polling keeps a waiting place alive, and admits lazily, so admission
-- goes on even while the periodic tick is not running.
-- ARGV: user, now_ms
local user, now = ARGV[1], tonumber(ARGV[2])
local c = load_cfg()
if not c then return {'no_config'} end
open_if_due(c, now)
if redis.call('ZSCORE', KEYS[2], user) then redis.call('ZADD', KEYS[3], now, user) end
admit(c, now)
local place = place_of(c, now, user)
if not place then return {'not_in_queue'} end
return {place[1], place[2], place[3], place[4], place[5], 0, c.opens_ms}
