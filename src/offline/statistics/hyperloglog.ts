/**
 * Approximate distinct counts that merge across partitions: a HyperLogLog sketch of 2^10
 * registers over DuckDB's 64-bit `hash()` of each value (standard error 1.04 / √1024 ≈ 3.3%).
 *
 * The low 10 bits of a hash choose the register. DuckDB keeps the smallest hash per register (a
 * `min`, which it aggregates far faster than the usual `max` of a leading-zero count per value);
 * the register's rank (leading zeros + 1 of the remaining 54 bits) follows from it. Merging keeps
 * the greater rank per register, so a merged sketch is exactly the sketch of the union of the values.
 */
export const HLL_BITS = 10;
export const HLL_REGISTERS = 1 << HLL_BITS;
/** Bits of the hash left after the register index. */
const REST_BITS = 64 - HLL_BITS;

/** How a register and its rank are packed into one integer: register · 64 + rank (a rank is at most 55). */
const RANK_SPAN = 64;

/**
 * SQL describing the hashes `h` of relation `hashed` (columns `g` and `h`, no nulls) as one row
 * per group `g` with `entries`: a packed register and rank for each register reached. The rank is
 * counted in DuckDB (a bit string's first set bit), so only about a thousand small integers per
 * group reach JS.
 */
export function hllEntriesSql(hashed: string): string {
  const rank = `CASE WHEN rest = 0 THEN ${REST_BITS + 1} ELSE bit_position('1'::BIT, rest::BIT) - ${HLL_BITS} END`;
  return `SELECT g, list(r * ${RANK_SPAN} + ${rank}) AS entries FROM (
      SELECT g, (h & ${HLL_REGISTERS - 1})::INTEGER AS r, min(h) >> ${HLL_BITS} AS rest FROM ${hashed} GROUP BY ALL)
    GROUP BY g`;
}

/** Rank per register (0: no value reached it). */
export type HllSketch = Uint8Array;

export function emptyHll(): HllSketch {
  return new Uint8Array(HLL_REGISTERS);
}

/** Sets the registers of packed entries (see `hllEntriesSql`) that raise them. */
export function addEntries(sketch: HllSketch, entries: Iterable<number>): void {
  for (const entry of entries) {
    const register = Math.floor(entry / RANK_SPAN);
    const rank = entry % RANK_SPAN;
    if (rank > (sketch[register] ?? 0)) sketch[register] = rank;
  }
}

export function mergeHll(into: HllSketch, from: HllSketch): HllSketch {
  for (let i = 0; i < HLL_REGISTERS; i++) if ((from[i] ?? 0) > (into[i] ?? 0)) into[i] = from[i] ?? 0;
  return into;
}

/** The estimate of distinct values, with the small-range correction (linear counting). */
export function estimateDistinct(sketch: HllSketch): number {
  const m = HLL_REGISTERS;
  let sum = 0;
  let zeros = 0;
  for (const rank of sketch) {
    sum += 2 ** -rank;
    if (rank === 0) zeros++;
  }
  if (zeros === m) return 0;
  const alpha = 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
  return Math.round(raw);
}

/** Stored form: the ranks as base64 (1,024 bytes before encoding). */
export function encodeHll(sketch: HllSketch): string {
  return Buffer.from(sketch).toString('base64');
}

export function decodeHll(text: string): HllSketch {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== HLL_REGISTERS || bytes.some((b) => b > REST_BITS + 1))
    throw new Error(`a distinct-count sketch must be ${HLL_REGISTERS} ranks of at most ${REST_BITS + 1}`);
  return new Uint8Array(bytes);
}
