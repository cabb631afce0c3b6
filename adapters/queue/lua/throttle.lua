-- One attempt of a fan at a rate-limited action (holding seats). KEYS[1]: the fan's bucket
-- for this schedule. ARGV: now_ms, rate a second, burst. Returns 0, or the ms to wait.
return take(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[1]))
