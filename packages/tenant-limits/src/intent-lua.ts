// The state machine of one direct upload (an intent), in Lua on top of the ledger library (ledger-lua.ts):
//
//   open ──PUT (token)──▶ sending ──▶ sent ──/complete──▶ completing ──▶ done
//     └──────────────── /complete (S3: the bytes went to the bucket) ──┘      └──▶ expired (refused)
//   open | sending | sent ──expiry or abort──▶ expired;  completing ──past its deadline──▶ expired
//
// Every transition is one script, so /complete, a late PUT and the janitor can never both win. An intent holds
// its announced bytes and one object (reservation `i:<id>`) from creation until it is done (then counted) or
// expired; where its upload form stays usable after that (S3), the hold lasts until the form expires.

// ARGV: now, id, size, quota bytes, quota objects, max open, expires at, keep until, token hash, user, key,
// content type, visibility, form until ('' when the bytes go through the API; else until when a presigned form
// may still write the staging key, however the intent ends), multipart upload id ('' for single-request
// intents). Returns { status, bytes used, objects used }: 1 ok, 0 over quota, -1 too many open.
export const CREATE = `
local now, id, size = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
if redis.call('EXISTS', INTENT) == 1 then return {-3, 0, 0} end
purge(now)
if redis.call('ZCARD', OPEN) >= tonumber(ARGV[6]) then return {-1, 0, 0} end
local b, o = used()
if b + size > tonumber(ARGV[4]) or o + 1 > tonumber(ARGV[5]) then return {0, b, o} end
hold('i:' .. id, size, 1, ARGV[8])
redis.call('ZADD', OPEN, ARGV[7], id)
redis.call('ZADD', DUE, ARGV[7], id)
redis.call('HSET', INTENT, 'id', id, 'user', ARGV[10], 'key', ARGV[11], 'contentType', ARGV[12],
  'size', ARGV[3], 'visibility', ARGV[13], 'expiresAt', ARGV[7], 'state', 'open', 'token', ARGV[9],
  'formUntil', ARGV[14], 'mp', ARGV[15])
redis.call('PEXPIREAT', INTENT, ARGV[8])
return {1, b + size, o + 1}
`;

// ARGV: now, token hash, slot id, slot lapses at, max slots. Compares the token and spends it in one step, and
// takes an upload slot. Returns 1, or -404 (not open), -401 (wrong or spent token: nothing changed), -429.
export const SEND_BEGIN = `
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', INTENT, 'state', 'token', 'expiresAt')
if not f[1] then return -404 end
if not f[2] or f[2] ~= ARGV[2] then return -401 end
if f[1] ~= 'open' or n(f[3]) <= now then return -404 end
purge(now)
if redis.call('ZCARD', SLOTS) >= tonumber(ARGV[5]) then return -429 end
redis.call('ZADD', SLOTS, ARGV[4], ARGV[3])
redis.call('HSET', INTENT, 'state', 'sending', 'slot', ARGV[3], 'spent', f[2])
redis.call('HDEL', INTENT, 'token')
return 1
`;

// ARGV: slot id, '1' stored | '0' failed. Frees the slot. A failed send gives the token back. Returns 0 when the
// intent left 'sending' meanwhile (expired, aborted): what this send stored is the caller's to remove.
export const SEND_END = `
redis.call('ZREM', SLOTS, ARGV[1])
local f = redis.call('HMGET', INTENT, 'state', 'slot', 'spent')
if f[1] ~= 'sending' or f[2] ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then
  redis.call('HSET', INTENT, 'state', 'sent')
else
  redis.call('HSET', INTENT, 'state', 'open', 'token', f[3])
end
redis.call('HDEL', INTENT, 'slot', 'spent')
return 1
`;

// ARGV: now, id, attempt, deadline. From 'sent', or from 'open' when the bytes go straight to the store (a
// presigned form, or a multipart upload whose parts the caller assembles once it holds 'completing').
// Returns { 1, the intent's fields and values… }, or { status } with status -404 (expired or unknown), -410 (already done), -425 (still sending), -409 (being completed),
// -400 (nothing sent yet).
export const COMPLETE_BEGIN = `
local f = redis.call('HMGET', INTENT, 'state', 'expiresAt', 'formUntil', 'mp')
local state = f[1]
if not state or state == 'expired' then return {-404} end
if state == 'done' then return {-410} end
if n(f[2]) <= tonumber(ARGV[1]) then return {-404} end
if state == 'sending' then return {-425} end
if state == 'completing' then return {-409} end
if state == 'open' and (f[3] or '') == '' and (f[4] or '') == '' then return {-400} end
redis.call('HSET', INTENT, 'state', 'completing', 'from', state, 'attempt', ARGV[3], 'deadline', ARGV[4])
redis.call('ZADD', DUE, ARGV[4], ARGV[2])
local fields = redis.call('HGETALL', INTENT)
table.insert(fields, 1, 1)
return fields
`;

// ARGV: id, attempt. Back to the state before completing (nothing had been sent yet).
export const COMPLETE_UNDO = `
local f = redis.call('HMGET', INTENT, 'state', 'attempt', 'from', 'expiresAt')
if f[1] ~= 'completing' or f[2] ~= ARGV[2] then return 0 end
redis.call('HSET', INTENT, 'state', f[3])
redis.call('HDEL', INTENT, 'attempt', 'deadline', 'from')
redis.call('ZADD', DUE, f[4], ARGV[1])
return 1
`;

// Leaves the open intents; releases the hold now, or keeps it while the intent's form still works.
const SETTLE_HOLD = `
local function settleHold(id)
  redis.call('ZREM', OPEN, id)
  local holdUntil = redis.call('HGET', INTENT, 'formUntil') or ''
  if holdUntil == '' then
    release('i:' .. id)
    redis.call('ZREM', DUE, id)
  else
    redis.call('ZADD', DUE, holdUntil, id)
  end
end
`;

// ARGV: id, attempt, size. Counts the final key; the intent is done.
export const COMPLETE_COMMIT = `${SETTLE_HOLD}
local f = redis.call('HMGET', INTENT, 'state', 'attempt', 'key')
if f[1] ~= 'completing' or f[2] ~= ARGV[2] then return 0 end
count(f[3], tonumber(ARGV[3]))
settleHold(ARGV[1])
redis.call('HSET', INTENT, 'state', 'done')
redis.call('HDEL', INTENT, 'attempt', 'deadline', 'from')
return 1
`;

// ARGV: id, attempt. The checks refused the upload (the caller removed its bytes first).
export const COMPLETE_REFUSE = `${SETTLE_HOLD}
local f = redis.call('HMGET', INTENT, 'state', 'attempt')
if f[1] ~= 'completing' or f[2] ~= ARGV[2] then return 0 end
redis.call('HSET', INTENT, 'state', 'expired', 'from', 'refused')
redis.call('HDEL', INTENT, 'attempt', 'deadline')
settleHold(ARGV[1])
return 1
`;

// ARGV: id. The owner gives up an intent not being completed. Returns { state it had ('' when refused),
// form until }: without a form the caller removes the staging object and releases; with one, the janitor does
// once the form expired.
export const ABORT = `
local f = redis.call('HMGET', INTENT, 'state', 'formUntil')
local state = f[1]
if state ~= 'open' and state ~= 'sending' and state ~= 'sent' then return {'', ''} end
redis.call('HSET', INTENT, 'state', 'expired', 'from', 'aborted')
redis.call('HDEL', INTENT, 'token', 'spent', 'slot')
redis.call('ZREM', OPEN, ARGV[1])
return {state, f[2] or ''}
`;

// ARGV: now, id. The janitor takes an intent that is due: unfinished past its expiry, completing past its
// deadline, or done/expired with a hold whose form expired. Returns { 1, state it had, final key, how it
// became expired } or { 0, … } (not due: its next look is rescheduled).
export const EXPIRE = `
local now, id = tonumber(ARGV[1]), ARGV[2]
local f = redis.call('HMGET', INTENT, 'state', 'expiresAt', 'deadline', 'key', 'from', 'formUntil')
local state = f[1]
if not state then
  release('i:' .. id)
  redis.call('ZREM', OPEN, id)
  redis.call('ZREM', DUE, id)
  return {0, '', '', ''}
end
local dueAt = math.max(n(f[2]), n(f[6]))
if state == 'completing' then dueAt = n(f[3]) end
if dueAt > now then
  redis.call('ZADD', DUE, dueAt, id)
  return {0, state, '', ''}
end
local from = f[5] or ''
if state ~= 'done' and state ~= 'expired' then
  from = state
  redis.call('HSET', INTENT, 'state', 'expired', 'from', state)
  redis.call('HDEL', INTENT, 'token', 'spent', 'slot', 'attempt', 'deadline')
  redis.call('ZREM', OPEN, id)
end
return {1, state, f[4], from}
`;

// ARGV: id. After the janitor (or an abort) removed what the intent's form could have written: the hold goes.
// An intent that expired while completing may have had its final key counted by a reconciliation: uncounted.
export const RELEASE = `
local f = redis.call('HMGET', INTENT, 'state', 'from', 'key')
if f[1] == 'open' or f[1] == 'sending' or f[1] == 'sent' or f[1] == 'completing' then return 0 end
release('i:' .. ARGV[1])
redis.call('ZREM', OPEN, ARGV[1])
redis.call('ZREM', DUE, ARGV[1])
if f[1] == 'expired' and f[2] == 'completing' then uncount(f[3]) end
return 1
`;
