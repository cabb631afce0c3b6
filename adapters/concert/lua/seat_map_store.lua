-- Stores a seat map just built from the database, with the patches logged since the build
-- began applied on top (re-applying one it already has changes nothing).
-- KEYS: body, offsets, meta, log. ARGV: logged when the build began, ttl seconds, how many
-- seats the log keeps, body, where `statuses` starts in it and how long it is, then seat
-- id, "<slot>,<letter>" offset pairs. Returns 0 when too much changed meanwhile to tell
-- (the map is then served as built and not stored).
local since, ttl, log_max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local logged = tonumber(redis.call('HGET', KEYS[3], 'logged') or '0')
local missed = logged - since
if missed < 0 or missed > log_max then return 0 end
redis.call('SET', KEYS[1], ARGV[4], 'EX', ttl)
redis.call('HSET', KEYS[3], 'statuses_at', ARGV[5], 'statuses_len', ARGV[6])
redis.call('DEL', KEYS[2])
local pairs_left, i = {}, 7
while i <= #ARGV do
  pairs_left[#pairs_left + 1] = ARGV[i]
  pairs_left[#pairs_left + 1] = ARGV[i + 1]
  if #pairs_left == 2000 then
    redis.call('HSET', KEYS[2], unpack(pairs_left))
    pairs_left = {}
  end
  i = i + 2
end
if #pairs_left > 0 then redis.call('HSET', KEYS[2], unpack(pairs_left)) end
redis.call('EXPIRE', KEYS[2], ttl)
if missed > 0 then
  -- The body was just SET, so these SETRANGEs patch it and never create a key.
  -- A log entry is "<seat id>:<slot>", as the patch wrote it.
  for _, entry in ipairs(redis.call('LRANGE', KEYS[4], -missed, -1)) do
    local sep = string.find(entry, ':', 1, true)
    local at = redis.call('HGET', KEYS[2], string.sub(entry, 1, sep - 1))
    if at then write_status(KEYS[1], at, string.sub(entry, sep + 1)) end
  end
end
redis.call('HINCRBY', KEYS[3], 'builds', 1)
return 1
