-- Counts a sale in the concert ranking once per event.
-- KEYS: 1 the marker of this event and handler, 2 the ranking (zset concert -> tickets).
-- ARGV: concert id, tickets, marker ttl in seconds. Returns 1 when counted, 0 for a repeat.
if redis.call('SET', KEYS[1], 1, 'NX', 'EX', tonumber(ARGV[3])) then
  redis.call('ZINCRBY', KEYS[2], tonumber(ARGV[2]), ARGV[1])
  return 1
end
return 0
