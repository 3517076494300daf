/**
 * The script writing entities' aggregation state, each entity in one step: it drops fields no read
 * can reach any more (Redis 7.0 has no per-field expiry) when asked, replaces the materialized
 * layer of a range of tiles when asked (so a materialization run again sets, never adds), sets the
 * new fields, and extends each hash's expiry to the last moment one of its fields is read.
 *
 * Call: `KEYS` = the entities' state hashes (any slots on a standalone Redis, one slot in a
 * cluster); `ARGV` = now (s), the materialized range to replace [from, to) in seconds (empty
 * strings for none), L, then L pairs of granularity (or `r` for raw events) and lifetime in
 * seconds (empty L = 0: no pruning), then per key: its expiry (ms), n, and n field/value pairs.
 */
import type { RedisClient } from '../redis-client.ts';

export const WRITE_TILES_LUA = `#!lua flags=allow-cross-slot-keys
local now = tonumber(ARGV[1])
local clearFrom = tonumber(ARGV[2])
local clearTo = tonumber(ARGV[3])
local lives = tonumber(ARGV[4])
local life = {}
for i = 5, 4 + 2 * lives, 2 do life[ARGV[i]] = tonumber(ARGV[i + 1]) end
local at = 5 + 2 * lives
local set = 0
for k = 1, #KEYS do
  local key = KEYS[k]
  local expiry = tonumber(ARGV[at])
  local n = tonumber(ARGV[at + 1])
  local first = at + 2
  local last = at + 1 + 2 * n
  at = last + 1
  if lives > 0 or clearFrom then
    local dead = {}
    for _, f in ipairs(redis.call('HKEYS', key)) do
      local g, s, rest = string.match(f, '^([^:]+):(%-?%d+)(.*)$')
      if g then
        local start = tonumber(s)
        local l = life[g]
        if (l and start + l <= now) or (rest == '' and clearFrom and start >= clearFrom and start < clearTo) then
          dead[#dead + 1] = f
        end
      end
    end
    for i = 1, #dead, 1000 do
      redis.call('HDEL', key, unpack(dead, i, math.min(i + 999, #dead)))
    end
  end
  for i = first, last, 1000 do
    redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, last)))
  end
  if redis.call('EXISTS', key) == 1 then
    local current = redis.call('PEXPIRETIME', key)
    if current < 0 or current < expiry then redis.call('PEXPIREAT', key, expiry) end
  end
  set = set + n
end
return set
`;

const COMMAND = 'troveWriteTiles';

interface WriteTilesCommand {
  troveWriteTiles(numberOfKeys: number, ...args: (string | number | Buffer)[]): Promise<number>;
}

const defined = new WeakSet<object>();

/** The client with the script defined on it (loaded by SHA, sent in full when Redis lacks it). */
export function tileWriter(client: RedisClient): RedisClient & WriteTilesCommand {
  if (!defined.has(client)) {
    client.defineCommand(COMMAND, { lua: WRITE_TILES_LUA });
    defined.add(client);
  }
  return client as RedisClient & WriteTilesCommand;
}
