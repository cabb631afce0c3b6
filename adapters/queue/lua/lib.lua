-- Shared by every waiting-room script (prepended when the scripts are loaded).
-- KEYS (all with the schedule's hash tag {s:<id>}, so one script touches one cluster slot):
--   1 cfg (hash: settings)  2 line (list of users in entry order)  3 beats (hash: heartbeat
--   second -> fans of the line who last beat then)  4 active (zset user -> expiry ms)
--   5 pre (set: arrivals before opening)  6 state (hash: seq, serving, rates, totals)
-- A waiting fan's own record lives in a small hash of 100 fans, `q:{s:<id>}:f:<user // 100>`,
-- field user -> "<entry number>:<last heartbeat, unix seconds>": small hashes are stored as
-- listpacks, about 20 bytes a fan, where a sorted-set member costs about 100.
-- The line list holds exactly one element per entry number, in order, so the element at
-- its head always has entry number serving + 1: a fan who left or entered again later is
-- recognised at the head because the record no longer has that number.
-- Times are milliseconds since the epoch, passed in by the caller.
-- The seats left to sell, as the admission tick last counted them in the database, are kept
-- in the state hash (seats_free, seats_held) and followed between ticks by the hold gate;
-- `q:{s:<id>}:claims` (zset user -> slot expiry) holds the admitted fans who have not held a
-- seat yet. Admission keeps their number within seats_free (see admit).

local RATE_WINDOW_MS = 60000
-- How long fans keep their slots is measured over a shorter window: it changes with the
-- load within a sale, and its first seconds (slots filling) say little about it.
local SLOT_WINDOW_MS = 15000
local MAX_SKIPS = 10000    -- given-up places passed per admission step, to bound one call

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

-- The fan's slot expiry while the fan is admitted (in the active set, unexpired), else nil.
local function active_until(user, now)
  local until_ms = tonumber(redis.call('ZSCORE', KEYS[4], user))
  if until_ms and until_ms > now then return until_ms end
  return nil
end

-- Is the fan still active? Acting (holding, paying) extends the slot by active_ttl.
-- Returns the new expiry, or 0 when the fan is not active.
local function touch(user, now)
  local until_ms = active_until(user, now)
  if not until_ms then return 0 end
  local ttl = tonumber(redis.call('HGET', KEYS[1], 'active_ttl_ms') or '0')
  local new_until = math.max(until_ms, now + ttl)
  redis.call('ZADD', KEYS[4], 'XX', new_until, user)
  return new_until
end

local function load_cfg()
  local v = redis.call('HMGET', KEYS[1], 'max_active', 'admit_per_second', 'abandon_ms',
    'active_ttl_ms', 'opens_ms', 'closes_ms', 'paused', 'cancelled', 'heartbeat_ms', 'rate_now',
    'rate_growth', 'rate_limit', 'slots_now')
  if not v[1] then return nil end
  return {
    -- rate_now and slots_now: the rate adaptive admission steers to and the slots at that
    -- rate (domain/queue/admission.py); else the operator's fixed rate and capacity.
    max_active = math.min(tonumber(v[1]), tonumber(v[13]) or tonumber(v[1])),
    rate = tonumber(v[10]) or tonumber(v[2]),
    abandon_ms = tonumber(v[3]),
    active_ttl_ms = tonumber(v[4]), opens_ms = tonumber(v[5]), closes_ms = tonumber(v[6]),
    paused = v[7] == '1', cancelled = v[8] == '1', heartbeat_ms = tonumber(v[9]) or 10000,
    -- With adaptive admission: how fast the ETA projects the rate to grow, and up to where.
    growth = tonumber(v[11]) or 1, limit = tonumber(v[12]) or 0,
  }
end

local function closed(c, now)
  return c.cancelled or now >= c.closes_ms
end

local function fan_key(user)
  return string.sub(KEYS[1], 1, -4) .. 'f:' .. math.floor(tonumber(user) / 100)
end

-- Admitted fans who have not held a seat yet (same hash tag as KEYS[1], so the same slot).
local function claims_key()
  return string.sub(KEYS[1], 1, -4) .. 'claims'
end

-- A hold took `seats` seats: they are no longer free to hold, and the fan no longer claims
-- one. Between two counts by the tick, this keeps the seats left close to the database's.
local function seats_taken(user, seats)
  redis.call('ZREM', claims_key(), user)
  if redis.call('HEXISTS', KEYS[6], 'seats_free') == 1 then
    redis.call('HINCRBY', KEYS[6], 'seats_free', -seats)
    redis.call('HINCRBY', KEYS[6], 'seats_held', seats)
  end
end

-- A fan is alive while the last heartbeat second is at or after this one.
local function alive_from(c, now)
  return math.floor((now - c.abandon_ms) / 1000)
end

-- The one place the record's format is written: "<entry number>:<heartbeat second>".
local function write_fan(key, user, entry, second)
  redis.call('HSET', key, user, entry .. ':' .. second)
end

local function read_fan(key, user)
  local v = redis.call('HGET', key, user)
  if not v then return nil end
  local sep = string.find(v, ':', 1, true)
  return tonumber(string.sub(v, 1, sep - 1)), tonumber(string.sub(v, sep + 1))
end

-- Heartbeat seconds older than `folded_below` were summed into the field 'old' by the tick
-- (read once per script call).
local folded_below = nil
local function count_beat(second, delta)
  if not folded_below then
    folded_below = tonumber(redis.call('HGET', KEYS[6], 'folded_below') or '0')
  end
  local field = second < folded_below and 'old' or tostring(second)
  if redis.call('HINCRBY', KEYS[3], field, delta) <= 0 then redis.call('HDEL', KEYS[3], field) end
end

local function add_fan(key, user, entry, now)
  local second = math.floor(now / 1000)
  write_fan(key, user, entry, second)
  count_beat(second, 1)
end

local function drop_fan(key, user, second)
  redis.call('HDEL', key, user)
  count_beat(second, -1)
end

-- The heartbeat: keeps a waiting place. Returns the entry number, or nil when the fan has
-- no place, or had stopped beating for abandon_after and so has just lost it.
local function beat(c, now, key, user)
  local entry, second = read_fan(key, user)
  if not entry then return nil end
  if second < alive_from(c, now) then
    drop_fan(key, user, second)
    redis.call('HINCRBY', KEYS[6], 'abandoned_total', 1)
    return nil
  end
  local now_s = math.floor(now / 1000)
  if second ~= now_s then
    write_fan(key, user, entry, now_s)
    count_beat(second, -1)
    count_beat(now_s, 1)
  end
  return entry
end

-- Fans in the line: {alive, abandoned but not yet passed by the line}.
local function line_counts(c, now)
  local from = alive_from(c, now)
  local all = redis.call('HGETALL', KEYS[3])
  local alive, stale = 0, 0
  for i = 1, #all, 2 do
    local n = tonumber(all[i + 1])
    if all[i] ~= 'old' and tonumber(all[i]) >= from then alive = alive + n else stale = stale + n end
  end
  return alive, stale
end

-- At opening, everyone who came early is shuffled into the line ahead of later arrivals, in
-- bounded steps (`batch` a call, set by the caller) so that 300,000 early arrivals never
-- block Redis.
-- The first step reserves the entry numbers 1..n for the n early arrivals; each step SPOPs
-- uniformly random members of those left and gives them the reserved numbers from the top
-- down, pushing each in front of the line: a uniform random permutation, and the line stays
-- in entry order at every step, with fans arriving meanwhile behind (numbers n+1, ...).
-- Nobody is admitted until the move is complete, so no reader sees a half-moved line move.
-- Returns true while the move is under way.
local function open_if_due(c, now, batch)
  if now < c.opens_ms then return false end
  local s = redis.call('HMGET', KEYS[6], 'opened', 'next_early', 'seq')
  if s[1] == '1' then return false end
  local next_early = tonumber(s[2])
  if not next_early then
    local seq = tonumber(s[3]) or 0
    if seq > 0 then
      -- Opened once already and rescheduled by an operator: fans in line stay ahead, the
      -- late early arrivals follow in random order, in one step (a rare operator action).
      local user = redis.call('SPOP', KEYS[5])
      while user do
        seq = seq + 1
        add_fan(fan_key(user), user, seq, now)
        redis.call('RPUSH', KEYS[2], user)
        user = redis.call('SPOP', KEYS[5])
      end
      redis.call('HSET', KEYS[6], 'seq', seq, 'opened', '1')
      return false
    end
    next_early = redis.call('SCARD', KEYS[5])
    redis.call('HSET', KEYS[6], 'seq', next_early, 'serving', 0)
  end
  local second, moved, count = math.floor(now / 1000), {}, 0
  -- LPUSH of u1 .. un leaves un first, as n single pushes would: one push per 1,000.
  local function push()
    if #moved > 0 then redis.call('LPUSH', KEYS[2], unpack(moved)) end
    moved = {}
  end
  while batch > 0 and next_early > 0 do
    local user = redis.call('SPOP', KEYS[5])
    if not user then break end
    write_fan(fan_key(user), user, next_early, second)
    moved[#moved + 1] = user
    if #moved == 1000 then push() end
    next_early = next_early - 1
    batch = batch - 1
    count = count + 1
  end
  push()
  if count > 0 then count_beat(second, count) end
  if next_early == 0 or redis.call('SCARD', KEYS[5]) == 0 then
    -- Numbers left over belong to early arrivals who left before their turn: passed.
    redis.call('HSET', KEYS[6], 'opened', '1', 'serving', next_early)
    redis.call('HDEL', KEYS[6], 'next_early')
    return false
  end
  redis.call('HSET', KEYS[6], 'next_early', next_early)
  return true
end

-- A rate a second from exponentially weighted counts over about a minute (RATE_WINDOW_MS,
-- tau): admissions, and places the line moved. A steady r a second counted for t seconds
-- sums to r * tau * (1 - e^(-t/tau)), so the sum is divided by that, which is t early on
-- and tau after a few minutes. (Dividing by min(t, tau) measured 79% of the rate 30 s
-- after the line first moved and 63% a minute in: a flash sale's ETAs a third to half too
-- long.) t counts from the line's first move, plus the second of the full token bucket
-- that first step admits. `window` (tau) is RATE_WINDOW_MS unless given.
local function measured(now, name, window)
  window = window or RATE_WINDOW_MS
  local s = redis.call('HMGET', KEYS[6], name, name .. '_ms', 'first_admit_ms')
  local ewma, at, first = tonumber(s[1]), tonumber(s[2]), tonumber(s[3])
  if not ewma or not first then return 0 end
  local decayed = ewma * math.exp(-(now - at) / window)
  local counted = math.max(0, now - first) + 1000
  return decayed * 1000 / (window * (1 - math.exp(-counted / window)))
end

local function record(now, name, count, window)
  local s = redis.call('HMGET', KEYS[6], name, name .. '_ms')
  local ewma, at = tonumber(s[1]) or 0, tonumber(s[2]) or now
  ewma = ewma * math.exp(-(now - at) / (window or RATE_WINDOW_MS)) + count
  redis.call('HSET', KEYS[6], name, tostring(ewma), name .. '_ms', now)
end

local function measured_rate(now)
  return measured(now, 'ewma')
end

-- Moves the head of the line into the active set while there is room, rate budget and a
-- seat left for each admitted fan who has not held yet: once every seat is held or claimed,
-- fans stay in line (for the seats of holds that lapse) instead of being let in to find
-- nothing. Places given up (left, abandoned, or entered again later) are passed on the
-- way, without using the budget. Returns the admitted users in admission order.
local function admit(c, now)
  local admitted = {}
  local s = redis.call('HMGET', KEYS[6], 'tokens', 'tokens_ms', 'serving', 'opened',
    'admitted_ms', 'seats_free')
  local last = tonumber(s[2]) or now
  local claims = claims_key()
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
  redis.call('ZREMRANGEBYSCORE', claims, '-inf', now)
  if c.paused or closed(c, now) or now < c.opens_ms then return admitted end
  if s[4] ~= '1' then return admitted end
  local active = redis.call('ZCARD', KEYS[4])
  local tokens = tonumber(s[1]) or c.rate
  tokens = math.min(c.rate, tokens + (now - last) * c.rate / 1000)
  local budget = math.min(c.max_active - active, math.floor(tokens))
  local seats_free = tonumber(s[6])  -- nil until the tick has counted the seats
  if seats_free then budget = math.min(budget, seats_free - redis.call('ZCARD', claims)) end
  local serving = tonumber(s[3]) or 0
  local from = alive_from(c, now)
  -- Each caller (an app server, the tick) stamps `now` with its own clock before its call,
  -- so a call that waited may come with an earlier time than the last admission. The
  -- admission time never goes back: a fan's slot expiry (and access token) is never earlier
  -- than that of anyone admitted before it.
  local stamp = math.max(now, tonumber(s[5]) or 0)
  local abandoned, passed, skips = 0, 0, MAX_SKIPS
  while budget > 0 and skips > 0 do
    local user = redis.call('LPOP', KEYS[2])
    if not user then break end
    serving = serving + 1
    passed = passed + 1
    local key = fan_key(user)
    local entry, second = read_fan(key, user)
    if entry == serving then
      drop_fan(key, user, second)
      if second >= from then
        redis.call('ZADD', KEYS[4], stamp + c.active_ttl_ms, user)
        redis.call('ZADD', claims, stamp + c.active_ttl_ms, user)
        admitted[#admitted + 1] = user
        budget = budget - 1
        tokens = tokens - 1
      else
        abandoned = abandoned + 1
        skips = skips - 1
      end
    else
      skips = skips - 1
    end
  end
  redis.call('HSET', KEYS[6], 'tokens', tostring(tokens), 'tokens_ms', now, 'serving', serving)
  if passed > 0 then
    redis.call('HSETNX', KEYS[6], 'first_admit_ms', now)  -- when the line first moved
    record(now, 'pace', passed)
  end
  if #admitted > 0 then
    redis.call('HSET', KEYS[6], 'admitted_ms', stamp)
    record(now, 'ewma', #admitted)
    record(now, 'slot_admits', #admitted, SLOT_WINDOW_MS)
    redis.call('HINCRBY', KEYS[6], 'admitted_total', #admitted)
  end
  if abandoned > 0 then redis.call('HINCRBY', KEYS[6], 'abandoned_total', abandoned) end
  return admitted
end

-- Once a tick, after its admission step: the slot-seconds used since the tick before (the
-- fans in then and now, averaged), which with the admissions says how long a fan keeps a
-- slot (slot_bound_pace). Counted by the tick alone, not by every fan's call, to keep
-- those cheap.
local function count_slot_time(now)
  local s = redis.call('HMGET', KEYS[6], 'slot_s_ms', 'active_n')
  local active = redis.call('ZCARD', KEYS[4])
  local since = tonumber(s[1]) or now
  if now > since or not s[1] then
    local used = ((tonumber(s[2]) or active) + active) / 2 * (now - since) / 1000
    record(now, 'slot_s', used, SLOT_WINDOW_MS)
  end
  redis.call('HSET', KEYS[6], 'active_n', active)
end

-- How fast the line can move once it waits for slots: every slot turns over in the time a
-- fan keeps one, which by Little's law is the fans in (the slot-seconds used a second) over
-- the fans admitted a second, both measured over SLOT_WINDOW_MS. nil before anything was.
local function slot_bound_pace(c, now)
  local used = measured(now, 'slot_s', SLOT_WINDOW_MS)
  local admitted = measured(now, 'slot_admits', SLOT_WINDOW_MS)
  if used <= 0 or admitted <= 0 then return nil end
  return c.max_active * admitted / used
end

-- How the line is expected to move, for eta_at: from how fast it has moved (admissions
-- and places passed), or the configured rate before anything was measured, and never faster
-- than its slots let it: fans who keep their slots long hold the line back whatever the
-- rate says. With adaptive admission (c.growth > 1 a second: the steady raise, whatever the
-- step of the moment; domain/queue/admission.py) the rate is projected to keep rising:
-- r(t) = r0 * growth^t until the limit. The slots follow the rate
-- (AdaptiveAdmission.slots_at), so where they bind they scale the whole climb, the limit
-- included. Before anything says how long fans keep them, a line with every slot taken
-- moves as they free up, which the measured pace already says.
-- Returns {pace} for a steady line, {r0, limit, ln_g} for a climb, {} for a line that
-- does not move.
local function line_speed(c, now)
  local pace = measured(now, 'pace')
  if pace <= 0 then pace = c.rate end
  if pace <= 0 then return {} end
  local slots_pace = slot_bound_pace(c, now)
  if c.growth > 1 and c.limit > math.max(pace, c.rate)
      and (slots_pace or redis.call('ZCARD', KEYS[4]) < c.max_active) then
    local r0, limit = math.max(pace, c.rate), c.limit
    if slots_pace and slots_pace < r0 then
      limit = limit * slots_pace / r0
      r0 = slots_pace
    end
    return {r0, limit, math.log(c.growth)}
  end
  if slots_pace then pace = math.min(pace, slots_pace) end
  return {pace}
end

-- Seconds until the line reaches `position` at `speed` (line_speed). In a climb the places
-- passed by t are r0 * (growth^t - 1) / ln(growth) until the limit, solved for t.
local function eta_at(speed, position)
  if #speed == 0 then return 0 end
  if #speed == 1 then return math.ceil(position / speed[1]) end
  local r0, limit, ln_g = speed[1], speed[2], speed[3]
  local until_limit = (limit - r0) / ln_g  -- places passed while the rate climbs
  if position <= until_limit then
    return math.ceil(math.log(1 + position * ln_g / r0) / ln_g)
  end
  return math.ceil(math.log(limit / r0) / ln_g + (position - until_limit) / limit)
end

-- The fan's place: {state, position, eta_seconds, active_until_ms, entry_number}.
-- `entry` is the fan's entry number when the caller already knows it.
local function place_of(c, now, user, entry)
  local until_ms = active_until(user, now)
  if until_ms then return {'admitted', 0, 0, until_ms, 0} end
  if not entry then entry = read_fan(KEYS[7], user) end
  if entry then
    local serving = tonumber(redis.call('HGET', KEYS[6], 'serving') or '0')
    local position = entry - serving  -- at least 1: the line never passes a waiting fan
    return {'waiting', position, eta_at(line_speed(c, now), position), 0, entry}
  end
  if redis.call('SISMEMBER', KEYS[5], user) == 1 then
    return {'pre_queue', 0, 0, 0, 0}
  end
  return nil
end
