// The Lua shared by every tenant script: one tenant's keys (see tenant-keys.ts, always in this order), and the
// few operations every change is made of. A script runs atomically, so a check and the change it allows are one
// step: two API processes, a late PUT and the janitor can never both win.
export const LEDGER_LUA = `
local USAGE, SIZES, HELD, HELD_EXP, SLOTS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local TOUCHED, RECON, LISTING, OPEN, DUE, INTENT = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]

local function n(value) return tonumber(value) or 0 end

-- 0 - x, never -x: Lua's -0 reaches Redis as "-0", which HINCRBY refuses as not an integer (an empty file's
-- reservation could not be released, nor its count taken back).
local function neg(value) return 0 - value end

local function split(value)
  local sep = string.find(value, ':', 1, true)
  return tonumber(string.sub(value, 1, sep - 1)), tonumber(string.sub(value, sep + 1))
end

local function held(id)
  local value = redis.call('HGET', HELD, id)
  if not value then return 0, 0, false end
  local bytes, objects = split(value)
  return bytes, objects, true
end

-- Gives back what reservation id holds, and its upload slot.
local function release(id)
  local bytes, objects, found = held(id)
  if found then
    redis.call('HINCRBY', USAGE, 'rbytes', neg(bytes))
    redis.call('HINCRBY', USAGE, 'robjects', neg(objects))
    redis.call('HDEL', HELD, id)
  end
  redis.call('ZREM', HELD_EXP, id)
  redis.call('ZREM', SLOTS, id)
  return found
end

-- Releases what lapsed: the reservations and slots of processes that crashed.
local function purge(now)
  redis.call('ZREMRANGEBYSCORE', SLOTS, '-inf', now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', HELD_EXP, '-inf', now)) do release(id) end
end

-- Bytes and objects counted plus held.
local function used()
  local u = redis.call('HMGET', USAGE, 'bytes', 'objects', 'rbytes', 'robjects')
  return n(u[1]) + n(u[3]), n(u[2]) + n(u[4])
end

local function hold(id, bytes, objects, lapsesAt)
  local b, o = held(id)
  redis.call('HSET', HELD, id, string.format('%d:%d', b + bytes, o + objects))
  redis.call('HINCRBY', USAGE, 'rbytes', bytes)
  redis.call('HINCRBY', USAGE, 'robjects', objects)
  redis.call('ZADD', HELD_EXP, lapsesAt, id)
end

-- While a reconciliation lists storage, the keys changed meanwhile keep the ledger's value.
local function journal(key)
  if redis.call('EXISTS', RECON) == 1 then redis.call('SADD', TOUCHED, key) end
end

-- Records key as stored with size bytes (replacing what was recorded for it).
local function count(key, size)
  local old = redis.call('HGET', SIZES, key)
  if old then
    redis.call('HINCRBY', USAGE, 'bytes', size - tonumber(old))
  else
    redis.call('HINCRBY', USAGE, 'bytes', size)
    redis.call('HINCRBY', USAGE, 'objects', 1)
  end
  redis.call('HSET', SIZES, key, size)
  journal(key)
end

-- Subtracts exactly what was recorded for key, once: -1 when nothing was.
local function uncount(key)
  journal(key)
  local old = redis.call('HGET', SIZES, key)
  if not old then return -1 end
  redis.call('HDEL', SIZES, key)
  redis.call('HINCRBY', USAGE, 'bytes', neg(tonumber(old)))
  redis.call('HINCRBY', USAGE, 'objects', -1)
  return tonumber(old)
end
`;

// ARGV: now, id, bytes, objects, quota bytes, quota objects, max slots (0: grow the existing reservation id),
// lapses at. Returns { status, bytes used, objects used }: 1 ok, 0 over quota, -1 no slot, -2 reservation gone.
export const RESERVE = `
local now, id = tonumber(ARGV[1]), ARGV[2]
local bytes, objects, maxSlots = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[7])
purge(now)
if maxSlots > 0 and redis.call('ZCARD', SLOTS) >= maxSlots then return {-1, 0, 0} end
if maxSlots == 0 and redis.call('HEXISTS', HELD, id) == 0 then return {-2, 0, 0} end
local b, o = used()
if b + bytes > tonumber(ARGV[5]) or o + objects > tonumber(ARGV[6]) then return {0, b, o} end
hold(id, bytes, objects, ARGV[8])
if maxSlots > 0 then redis.call('ZADD', SLOTS, ARGV[8], id) end
return {1, b + bytes, o + objects}
`;

// ARGV: reservation id, key ('' to count nothing), size. Releases the reservation and counts key.
export const SETTLE = `
release(ARGV[1])
if ARGV[2] ~= '' then count(ARGV[2], tonumber(ARGV[3])) end
return 1
`;

// ARGV: key. Returns what was subtracted, or -1.
export const UNCOUNT = `
return uncount(ARGV[1])
`;

// ARGV: now. Returns { bytes, objects, held bytes, held objects, slots in use, intents open }.
export const USAGE_OF = `
purge(tonumber(ARGV[1]))
local u = redis.call('HMGET', USAGE, 'bytes', 'objects', 'rbytes', 'robjects')
return {n(u[1]), n(u[2]), n(u[3]), n(u[4]), redis.call('ZCARD', SLOTS), redis.call('ZCARD', OPEN)}
`;

// ARGV: token, ttl ms. Starts journaling changes; registers the user.
export const RECONCILE_BEGIN = `
redis.call('SET', RECON, ARGV[1], 'PX', ARGV[2])
redis.call('DEL', TOUCHED, LISTING)
redis.call('PEXPIRE', TOUCHED, ARGV[2])
redis.call('HINCRBY', USAGE, 'bytes', 0)
return 1
`;

// ARGV: token, now. Sets each key's size from the listing unless it changed meanwhile, then every total from the
// per-key sizes and the live reservations. Returns { done, bytes before, after, objects before, after }.
export const RECONCILE_FINISH = `
if redis.call('GET', RECON) ~= ARGV[1] then
  redis.call('DEL', LISTING)
  return {0, 0, 0, 0, 0}
end
local touched = {}
for _, key in ipairs(redis.call('SMEMBERS', TOUCHED)) do touched[key] = true end
local listed = {}
local flat = redis.call('HGETALL', LISTING)
for i = 1, #flat, 2 do listed[flat[i]] = flat[i + 1] end
local before = redis.call('HMGET', USAGE, 'bytes', 'objects')
local recorded = redis.call('HGETALL', SIZES)
for i = 1, #recorded, 2 do
  if not touched[recorded[i]] and not listed[recorded[i]] then redis.call('HDEL', SIZES, recorded[i]) end
end
for key, size in pairs(listed) do
  if not touched[key] then redis.call('HSET', SIZES, key, size) end
end
local bytes, objects = 0, 0
for _, size in ipairs(redis.call('HVALS', SIZES)) do
  bytes = bytes + tonumber(size)
  objects = objects + 1
end
purge(tonumber(ARGV[2]))
local rbytes, robjects = 0, 0
for _, value in ipairs(redis.call('HVALS', HELD)) do
  local b, o = split(value)
  rbytes = rbytes + b
  robjects = robjects + o
end
redis.call('HSET', USAGE, 'bytes', string.format('%d', bytes), 'objects', objects,
  'rbytes', string.format('%d', rbytes), 'robjects', robjects)
redis.call('DEL', LISTING, TOUCHED, RECON)
return {1, n(before[1]), bytes, n(before[2]), objects}
`;

// ARGV: bytes, objects. Carries a pre-hash-tag counter over once (the next reconciliation rebuilds sizes).
export const MIGRATE_USAGE = `
if redis.call('HSETNX', USAGE, 'migrated', 1) == 0 then return 0 end
redis.call('HINCRBY', USAGE, 'bytes', ARGV[1])
redis.call('HINCRBY', USAGE, 'objects', ARGV[2])
return 1
`;
