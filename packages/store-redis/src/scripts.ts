import { createHash } from 'node:crypto';

/**
 * A stored entry is one Redis string, `"<deadline> <value>"`: the deadline in epoch milliseconds by the store's
 * clock (`inf` for none) and the value as JavaScript printed it (exact for every finite double). The store
 * decides liveness by the deadline, so it follows the clock it was given like every other Gatehouse store; the
 * key also carries a Redis expiry a grace period later, so Redis frees it without a sweep.
 *
 * Each script reads and writes exactly one key (`KEYS[1]`), so it is atomic (Redis runs a script alone) and
 * Redis-Cluster-safe (one key, one slot).
 */
const LIVE = `
local function live(raw, now)
  if not raw then return nil end
  local deadline, value = string.match(raw, '^(%S+) (%S+)$')
  if deadline == nil then return nil end
  if deadline ~= 'inf' and tonumber(deadline) <= now then return nil end
  return deadline, value
end
`;

/** ARGV: now, deadline, expiry in ms. Returns 1 when this call set the key. */
const SET_IF_ABSENT = `${LIVE}
if live(redis.call('GET', KEYS[1]), tonumber(ARGV[1])) then return 0 end
redis.call('SET', KEYS[1], ARGV[2] .. ' 1', 'PX', ARGV[3])
return 1
`;

/** ARGV: now, deadline, expiry in ms. Returns the new value as a string (a Lua number would be truncated). */
const INCREMENT = `${LIVE}
local deadline, value = live(redis.call('GET', KEYS[1]), tonumber(ARGV[1]))
if deadline then
  local next = string.format('%.17g', tonumber(value) + 1)
  redis.call('SET', KEYS[1], deadline .. ' ' .. next, 'KEEPTTL')
  return next
end
redis.call('SET', KEYS[1], ARGV[2] .. ' 1', 'PX', ARGV[3])
return '1'
`;

/** ARGV: now, deadline (`inf` for none), expiry in ms (empty for none), value. Returns 1 when stored. */
const SET_IF_GREATER = `${LIVE}
local deadline, value = live(redis.call('GET', KEYS[1]), tonumber(ARGV[1]))
if deadline and tonumber(value) >= tonumber(ARGV[4]) then return 0 end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[4])
else
  redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[4], 'PX', ARGV[3])
end
return 1
`;

/** A Lua script and its SHA-1, for EVALSHA. */
export interface Script {
  readonly source: string;
  readonly sha1: string;
}

function script(source: string): Script {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

export const SCRIPTS = {
  setIfAbsent: script(SET_IF_ABSENT),
  increment: script(INCREMENT),
  setIfGreater: script(SET_IF_GREATER),
} as const;

/**
 * Reads a stored entry in JavaScript (for `get`, which needs no script): the value when live at `now`, else null.
 *
 * @example
 * ```ts
 * parseEntry('1893456000000 3', 1893455000000); // 3
 * ```
 */
export function parseEntry(raw: string | null, now: number): number | null {
  if (raw === null) return null;
  const match = /^(\S+) (\S+)$/.exec(raw);
  if (match === null) return null;
  const [, deadline, value] = match as unknown as [string, string, string];
  if (deadline !== 'inf' && Number(deadline) <= now) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}
