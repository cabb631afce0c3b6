-- Put before every seat-map script (adapters/concert/seat_map.py); store and patch write
-- statuses with it.
-- `at` is a seat's offsets as kept beside the body, "<slot>,<letter>": its status slot in
-- `seats` and its letter in `statuses`; the letter is the slot's first (a, h or s).
local function write_status(body, at, slot)
  local comma = string.find(at, ',', 1, true)
  redis.call('SETRANGE', body, tonumber(string.sub(at, 1, comma - 1)), slot)
  redis.call('SETRANGE', body, tonumber(string.sub(at, comma + 1)), string.sub(slot, 2, 2))
end
