/**
 * The script writing one entity's aggregation state in one step: it drops fields no read can
 * reach any more (Redis 7.0 has no per-field expiry), replaces the materialized layer of a range
 * of tiles when asked (so a materialization run again sets, never adds), sets the new fields, and
 * extends the hash's expiry to the last moment any of them is read.
 *
 * Call: `KEYS[1]` = the state hash; `ARGV` = expiry (ms), n, n field/value pairs, now (s), the
 * materialized range to replace [from, to) in seconds (empty strings for none), then pairs of
 * granularity (or `r` for raw events) and lifetime in seconds.
 */
import type { RedisClient } from '../redis-client.ts';

export const WRITE_TILES_LUA = `
local key = KEYS[1]
local n = tonumber(ARGV[2])
local at = 3 + 2 * n
local now = tonumber(ARGV[at])
local clearFrom = tonumber(ARGV[at + 1])
local clearTo = tonumber(ARGV[at + 2])
local life = {}
for i = at + 3, #ARGV - 1, 2 do life[ARGV[i]] = tonumber(ARGV[i + 1]) end
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
for i = 3, at - 1, 1000 do
  redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, at - 1)))
end
if redis.call('HLEN', key) == 0 then
  redis.call('DEL', key)
  return 0
end
local expiry = tonumber(ARGV[1])
local current = redis.call('PEXPIRETIME', key)
if current < 0 or current < expiry then redis.call('PEXPIREAT', key, expiry) end
return n
`;

const COMMAND = 'troveWriteTiles';

interface WriteTilesCommand {
  troveWriteTiles(...args: (string | number | Buffer)[]): Promise<number>;
}

const defined = new WeakSet<object>();

/** The client with the script defined on it (loaded by SHA, sent in full when Redis lacks it). */
export function tileWriter(client: RedisClient): RedisClient & WriteTilesCommand {
  if (!defined.has(client)) {
    client.defineCommand(COMMAND, { lua: WRITE_TILES_LUA, numberOfKeys: 1 });
    defined.add(client);
  }
  return client as RedisClient & WriteTilesCommand;
}
