-- Is the fan still active? Acting (paying) extends the slot by active_ttl.
-- ARGV: user, now_ms. Returns the new expiry, or 0 when the fan is not active.
return touch(ARGV[1], tonumber(ARGV[2]))
