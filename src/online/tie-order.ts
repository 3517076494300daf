/**
 * How the write script settles two rows of a view equal in (event time, created time): the one
 * whose features are greatest stays, compared feature by feature in definition order (SPEC §4), in
 * the order compute keeps the greatest row in DuckDB (`ORDER BY feature DESC NULLS LAST`), so the
 * online value is the row the training join picks:
 *
 * - null ranks below every value;
 * - ints, floats and timestamps by value; NaN above every number (+inf included) and equal to every
 *   NaN, -0 equal to 0; false below true;
 * - strings by their UTF-8 bytes and bytes by their bytes, a prefix below the longer value;
 * - lists item by item, a null item above every value (DuckDB's list order), then the shorter
 *   list (a prefix) below the longer.
 *
 * Values carry no types, so the script is given each view's type signature (`tieTypes`): one
 * letter per feature, uppercase for a list of that element type.
 */
import { listElementType, type ScalarType, type ValueType } from '../definitions/value-type.ts';

const LETTERS: Record<ScalarType, string> = {
  int32: 'i',
  int64: 'l',
  float32: 'f',
  float64: 'd',
  string: 's',
  bytes: 'y',
  bool: 'b',
  timestamp: 't',
};

/** The type signature of a view's features, in definition order, as the write script reads it. */
export function tieTypes(features: readonly { type: ValueType }[]): string {
  let out = '';
  for (const f of features) {
    const element = listElementType(f.type);
    out += element ? LETTERS[element].toUpperCase() : LETTERS[f.type as ScalarType];
  }
  return out;
}

/**
 * Lua: `tieOrder(a, b, types)` is 1 when row `a` ranks above row `b` (both full values whose
 * headers are equal), -1 below, 0 when equal under the rule. It raises an error on a payload that
 * does not decode; the caller catches it. Redis' Lua compares strings with the server's locale,
 * so bytes are compared one by one (runs of equal bytes 64 at a time, which is done in C), and
 * numbers come from `struct` (an int64 as its signed high and unsigned low halves: each exact).
 */
export const TIE_ORDER_LUA = `
local function tieVarint(s, p)
  local n, mul = 0, 1
  for _ = 1, 5 do
    local c = string.byte(s, p)
    if c == nil then error('truncated') end
    p = p + 1
    n = n + (c % 128) * mul
    if c < 128 then return n, p end
    mul = mul * 128
  end
  error('bad length')
end
local function tieNumber(x, y)
  if x == y then return 0 end
  if x ~= x then
    if y ~= y then return 0 end
    return 1
  end
  if y ~= y or x < y then return -1 end
  return 1
end
local function tieBytes(a, pa, na, b, pb, nb)
  if pa + na - 1 > #a or pb + nb - 1 > #b then error('truncated') end
  local n = math.min(na, nb)
  local i = 0
  while i + 64 <= n and string.sub(a, pa + i, pa + i + 63) == string.sub(b, pb + i, pb + i + 63) do
    i = i + 64
  end
  while i < n do
    local x, y = string.byte(a, pa + i), string.byte(b, pb + i)
    if x ~= y then
      if x < y then return -1 end
      return 1
    end
    i = i + 1
  end
  return tieNumber(na, nb)
end
local function tieScalar(t, a, pa, b, pb)
  if t == 'l' or t == 't' then
    local alo, ahi = struct.unpack('<I4i4', a, pa)
    local blo, bhi = struct.unpack('<I4i4', b, pb)
    local c = tieNumber(ahi, bhi)
    if c == 0 then c = tieNumber(alo, blo) end
    return c, pa + 8, pb + 8
  elseif t == 'i' then
    return tieNumber(struct.unpack('<i4', a, pa), (struct.unpack('<i4', b, pb))), pa + 4, pb + 4
  elseif t == 'd' then
    return tieNumber(struct.unpack('<d', a, pa), (struct.unpack('<d', b, pb))), pa + 8, pb + 8
  elseif t == 'f' then
    return tieNumber(struct.unpack('<f', a, pa), (struct.unpack('<f', b, pb))), pa + 4, pb + 4
  elseif t == 'b' then
    local x, y = string.byte(a, pa), string.byte(b, pb)
    if x == nil or y == nil or x > 1 or y > 1 then error('bad bool') end
    return tieNumber(x, y), pa + 1, pb + 1
  elseif t == 's' or t == 'y' then
    local na, nb
    na, pa = tieVarint(a, pa)
    nb, pb = tieVarint(b, pb)
    return tieBytes(a, pa, na, b, pb, nb), pa + na, pb + nb
  end
  error('unknown type')
end
local function tiePresent(s, p)
  local c = string.byte(s, p)
  if c ~= 0 and c ~= 1 then error('bad presence byte') end
  return c == 1
end
local function tieFeature(t, a, pa, b, pb)
  local ha, hb = tiePresent(a, pa), tiePresent(b, pb)
  pa, pb = pa + 1, pb + 1
  if not (ha and hb) then
    if ha == hb then return 0, pa, pb end
    if ha then return 1 end
    return -1
  end
  local e = string.lower(t)
  if e == t then return tieScalar(t, a, pa, b, pb) end
  local na, nb
  na, pa = tieVarint(a, pa)
  nb, pb = tieVarint(b, pb)
  for _ = 1, math.min(na, nb) do
    local ia, ib = tiePresent(a, pa), tiePresent(b, pb)
    pa, pb = pa + 1, pb + 1
    if ia ~= ib then
      if ia then return -1 end
      return 1
    end
    if ia then
      local c
      c, pa, pb = tieScalar(e, a, pa, b, pb)
      if c ~= 0 then return c end
    end
  end
  return tieNumber(na, nb), pa, pb
end
local function tieOrder(a, b, types)
  local pa, pb = 34, 34
  for k = 1, #types do
    local c
    c, pa, pb = tieFeature(string.sub(types, k, k), a, pa, b, pb)
    if c ~= 0 then return c end
  end
  return 0
end
`;
