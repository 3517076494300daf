/**
 * The point-in-time join of SPEC §4 written as plain loops, with nothing shared with the SQL
 * implementation: the oracle the property tests compare against.
 */
export interface RefFeatureRow {
  keys: readonly (bigint | string)[];
  ts: bigint;
  created: bigint | null;
  values: readonly unknown[];
}

export interface RefView {
  ttlMicros: bigint;
  rows: readonly RefFeatureRow[];
}

export function referenceJoin(
  entities: readonly { keys: readonly (bigint | string | null)[][]; ts: bigint }[],
  views: readonly RefView[],
): unknown[][][] {
  return entities.map((e) =>
    views.map((view, vi) => {
      const keys = e.keys[vi]!;
      let best: RefFeatureRow | undefined;
      for (const row of view.rows) {
        if (row.keys.length !== keys.length || row.keys.some((k, i) => keys[i] === null || k !== keys[i]))
          continue;
        if (row.ts > e.ts) continue;
        if (view.ttlMicros > 0n && row.ts < e.ts - view.ttlMicros) continue;
        if (
          !best ||
          row.ts > best.ts ||
          (row.ts === best.ts &&
            row.created !== null &&
            (best.created === null || row.created > best.created))
        ) {
          best = row;
        }
      }
      return best ? [...best.values] : (view.rows[0]?.values.map(() => null) ?? []);
    }),
  );
}
