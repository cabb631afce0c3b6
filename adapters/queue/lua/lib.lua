-- Shared by every waiting-room script (prepended when the scripts are loaded).
-- KEYS (all with the schedule's hash tag {s:<id>}, so one script touches one cluster slot):
--   1 cfg (hash: settings)  2 wait (zset user -> entry number)  3 seen (zset user -> last poll ms)
--   4 active (zset user -> expiry ms)  5 pre (set: arrivals before opening)  6 state (hash)
-- Times are milliseconds since the epoch, passed in by the caller.

local RATE_WINDOW_MS = 60000

-- A token bucket: `rate` a second, up to `burst` at once. Returns 0 and takes a token, or
-- the milliseconds until one is due.
local function take(key, rate, burst, now)
  if rate <= 0 then return 0 end
  local b = redis.call('HMGET', key, 't', 'ms')
  local tokens = tonumber(b[1]) or burst
  local last = tonumber(b[2]) or now
  tokens = math.min(burst, tokens + (now - last) * rate / 1000)
  if tokens < 1 then return math.ceil((1 - tokens) * 1000 / rate) end
  redis.call('HSET', key, 't', tostring(tokens - 1), 'ms', now)
  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
  return 0
end

local function load_cfg()
  local v = redis.call('HMGET', KEYS[1], 'max_active', 'admit_per_second', 'abandon_ms',
    'active_ttl_ms', 'opens_ms', 'closes_ms', 'paused', 'cancelled')
  if not v[1] then return nil end
  return {
    max_active = tonumber(v[1]), rate = tonumber(v[2]), abandon_ms = tonumber(v[3]),
    active_ttl_ms = tonumber(v[4]), opens_ms = tonumber(v[5]), closes_ms = tonumber(v[6]),
    paused = v[7] == '1', cancelled = v[8] == '1',
  }
end

-- At opening, everyone who came early is shuffled into the queue ahead of later arrivals.
-- Each SPOP takes a uniformly random member of those left: a uniform random permutation.
local function open_if_due(c, now)
  if now < c.opens_ms or redis.call('HGET', KEYS[6], 'opened') == '1' then return end
  local seq = tonumber(redis.call('HGET', KEYS[6], 'seq') or '0')
  local user = redis.call('SPOP', KEYS[5])
  while user do
    seq = seq + 1
    redis.call('ZADD', KEYS[2], seq, user)
    redis.call('ZADD', KEYS[3], now, user)
    user = redis.call('SPOP', KEYS[5])
  end
  redis.call('HSET', KEYS[6], 'seq', seq, 'opened', '1')
end

-- Admissions per second, measured: an exponentially weighted count over about a minute.
local function measured_rate(now)
  local s = redis.call('HMGET', KEYS[6], 'ewma', 'ewma_ms', 'first_admit_ms')
  local ewma, at, first = tonumber(s[1]), tonumber(s[2]), tonumber(s[3])
  if not ewma or not first then return 0 end
  local decayed = ewma * math.exp(-(now - at) / RATE_WINDOW_MS)
  local window = math.min(RATE_WINDOW_MS, math.max(1000, now - first))
  return decayed * 1000 / window
end

local function record_admissions(now, count)
  local s = redis.call('HMGET', KEYS[6], 'ewma', 'ewma_ms', 'first_admit_ms')
  local ewma, at = tonumber(s[1]) or 0, tonumber(s[2]) or now
  ewma = ewma * math.exp(-(now - at) / RATE_WINDOW_MS) + count
  redis.call('HSET', KEYS[6], 'ewma', tostring(ewma), 'ewma_ms', now)
  if not s[3] then redis.call('HSET', KEYS[6], 'first_admit_ms', now) end
  redis.call('HINCRBY', KEYS[6], 'admitted_total', count)
end

-- Moves the head of the queue into the active set while there is room and rate budget.
-- Places whose fan stopped polling are dropped on the way, without using the budget.
-- Returns the admitted users in admission order.
local function admit(c, now)
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
  local admitted = {}
  if c.paused or c.cancelled or now < c.opens_ms or now >= c.closes_ms then return admitted end
  local s = redis.call('HMGET', KEYS[6], 'tokens', 'tokens_ms')
  local tokens = tonumber(s[1]) or c.rate
  local last = tonumber(s[2]) or now
  tokens = math.min(c.rate, tokens + (now - last) * c.rate / 1000)
  local room = c.max_active - redis.call('ZCARD', KEYS[4])
  local budget = math.min(room, math.floor(tokens))
  local stale = now - c.abandon_ms
  local abandoned = 0
  while budget > 0 do
    local head = redis.call('ZPOPMIN', KEYS[2])
    if #head == 0 then break end
    local user = head[1]
    local seen = tonumber(redis.call('ZSCORE', KEYS[3], user))
    redis.call('ZREM', KEYS[3], user)
    if seen and seen >= stale then
      redis.call('ZADD', KEYS[4], now + c.active_ttl_ms, user)
      admitted[#admitted + 1] = user
      budget = budget - 1
      tokens = tokens - 1
    else
      abandoned = abandoned + 1
    end
  end
  redis.call('HSET', KEYS[6], 'tokens', tostring(tokens), 'tokens_ms', now)
  if #admitted > 0 then record_admissions(now, #admitted) end
  if abandoned > 0 then redis.call('HINCRBY', KEYS[6], 'abandoned_total', abandoned) end
  return admitted
end

local function eta_seconds(c, now, position)
  local rate = measured_rate(now)
  if rate <= 0 then rate = c.rate end
  return math.ceil(position / rate)
end

-- The fan's place: {state, position, eta_seconds, active_until_ms, entry_number}.
local function place_of(c, now, user)
  local until_ms = tonumber(redis.call('ZSCORE', KEYS[4], user))
  if until_ms and until_ms > now then return {'admitted', 0, 0, until_ms, 0} end
  local rank = redis.call('ZRANK', KEYS[2], user)
  if rank then
    local entry = tonumber(redis.call('ZSCORE', KEYS[2], user))
    return {'waiting', rank + 1, eta_seconds(c, now, rank + 1), 0, entry}
  end
  if redis.call('SISMEMBER', KEYS[5], user) == 1 then
    return {'pre_queue', 0, 0, 0, 0}
  end
  return nil
end

local function closed(c, now)
  return c.cancelled or now >= c.closes_ms
end
