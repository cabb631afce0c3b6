-- The `statuses` of the stored seat map (one letter a seat, in the map's order) and its
-- version: {letters or false, builds, logged}. KEYS: body, meta
local meta = redis.call('HMGET', KEYS[2], 'builds', 'logged', 'statuses_at', 'statuses_len')
local letters = false
if meta[3] and redis.call('EXISTS', KEYS[1]) == 1 then
  local at = tonumber(meta[3])
  letters = redis.call('GETRANGE', KEYS[1], at, at + tonumber(meta[4]) - 1)
end
return {letters, meta[1] or '0', meta[2] or '0'}
