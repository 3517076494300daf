/**
 * The newest-wins write script: for a batch of rows, keep a row only if its (event time, created
 * time) is at least the stored one. Check and write happen inside Redis in one step, so racing
 * writers cannot replace a newer row with an older one. A stored value whose header does not parse
 * is replaced.
 */
import { createHash } from 'node:crypto';

// Headers are compared as four 8-digit hex chunks: exact in Lua's doubles, and independent of
// the locale Redis compares strings with.
export const WRITE_NEWEST_LUA = `#!lua flags=allow-cross-slot-keys
local function newer(new, old)
  if string.byte(old, 1) ~= string.byte(new, 1) then return true end
  for off = 2, 26, 8 do
    local a = tonumber(string.sub(new, off, off + 7), 16)
    local b = tonumber(string.sub(old, off, off + 7), 16)
    if b == nil or a == nil then return true end
    if a ~= b then return a > b end
  end
  return true
end
local n = 0
for i = 1, #KEYS do
  local field = ARGV[2 * i - 1]
  local value = ARGV[2 * i]
  local old = redis.call('HGET', KEYS[i], field)
  if (not old) or newer(value, old) then
    redis.call('HSET', KEYS[i], field, value)
    n = n + 1
  end
end
return n
`;

export const WRITE_NEWEST_SHA = createHash('sha1').update(WRITE_NEWEST_LUA).digest('hex');

/** Rows per script call: large enough to amortize the call, small enough not to stall Redis. */
export const ROWS_PER_CALL = 500;
