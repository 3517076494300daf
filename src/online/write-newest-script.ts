/**
 * The newest-wins write script: for a batch of rows, keep a row only if its (event time, created
 * time) is greater than the stored one, or equal to it with features at least as great (the tie
 * rule of tie-order.ts). Check and write happen inside Redis in one step, so racing writers cannot
 * replace a newer row with an older one. A stored value whose header or, on a tie, payload does not
 * parse is replaced.
 *
 * Call: `KEYS` = the rows' entity hashes; `ARGV` = each row's field and value, then, once per field
 * of the call, the field and its view's type signature (`tieTypes`), read only on a tie.
 */
import { createHash } from 'node:crypto';
import { TIE_ORDER_LUA } from './tie-order.ts';

// Headers are compared as four 8-digit hex chunks: exact in Lua's doubles, and independent of
// the locale Redis compares strings with. Only headers equal in every chunk reach the features;
// equal values are one string in Lua, so a rewrite of the same bytes is settled by one comparison.
export const WRITE_NEWEST_LUA = `#!lua flags=allow-cross-slot-keys
${TIE_ORDER_LUA}
local rows = #KEYS
local function typesOf(field)
  for j = 2 * rows + 1, #ARGV - 1, 2 do
    if ARGV[j] == field then return ARGV[j + 1] end
  end
end
local function newer(new, old, field)
  if string.byte(old, 1) ~= string.byte(new, 1) then return true end
  for off = 2, 26, 8 do
    local a = tonumber(string.sub(new, off, off + 7), 16)
    local b = tonumber(string.sub(old, off, off + 7), 16)
    if b == nil or a == nil then return true end
    if a ~= b then return a > b end
  end
  if new == old then return true end
  local types = typesOf(field)
  if types == nil then return true end
  local ok, order = pcall(tieOrder, new, old, types)
  return (not ok) or order >= 0
end
local n = 0
for i = 1, rows do
  local field = ARGV[2 * i - 1]
  local value = ARGV[2 * i]
  local old = redis.call('HGET', KEYS[i], field)
  if (not old) or newer(value, old, field) then
    redis.call('HSET', KEYS[i], field, value)
    n = n + 1
  end
end
return n
`;

export const WRITE_NEWEST_SHA = createHash('sha1').update(WRITE_NEWEST_LUA).digest('hex');

/** Rows per script call: large enough to amortize the call, small enough not to stall Redis. */
export const ROWS_PER_CALL = 500;
