-- After a bulk change (an operator's edit, seeding): the map is built again on the next
-- read. Builds under way are told not to store what they read (`logged` jumps past what
-- the log keeps). KEYS: body, offsets, meta, log. ARGV: how many seats the log keeps
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
return redis.call('HINCRBY', KEYS[3], 'logged', tonumber(ARGV[1]) + 1)
