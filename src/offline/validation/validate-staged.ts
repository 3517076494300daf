/**
 * Runs a batch view's checks over the partitions a compute staged, before the swap commits them:
 * one scan counts every row check's failures and every feature's nulls per partition; only a
 * failing check costs a second, small query for its sample rows. Memory holds counts and at most
 * MAX_SAMPLES rows per failing check and partition, whatever the size of the data.
 */
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { CheckedFeature } from '../../definitions/checks/feature-checks.ts';
import { describeAllowed, type RowCheckKind } from '../../definitions/checks/row-checks.ts';
import type { BatchFeatureView } from '../../definitions/feature-view.ts';
import { normalizeValue } from '../../definitions/input-values.ts';
import { quoteIdentifier, quoteString } from '../../duckdb/sql-literals.ts';
import { EVENT_TIMESTAMP } from '../offline-layout.ts';
import { type CheckFailure, MAX_SAMPLES, type SampleRow } from './check-failure.ts';

/** A row check as SQL: the predicate a failing row satisfies. */
interface SqlRowCheck {
  feature: string;
  kind: RowCheckKind;
  rule: string;
  failing: string;
}

const FLOAT_TYPES = new Set(['float32', 'float64']);

/** A numeric bound as a literal of the feature's type, so float32 values meet float32 bounds. */
function boundSql(feature: CheckedFeature, bound: number): string {
  if (feature.type === 'float32') return `CAST(${bound} AS FLOAT)`;
  if (feature.type === 'float64') return `CAST(${bound} AS DOUBLE)`;
  // Integer columns: an integral bound compares exactly as an integer, any other as a double.
  return Number.isSafeInteger(bound) ? `(${bound})` : `CAST(${bound} AS DOUBLE)`;
}

function allowedSql(feature: CheckedFeature, value: string | number | boolean): string {
  const canonical = normalizeValue(feature.type, value, 'allowed');
  return typeof canonical === 'string' ? quoteString(canonical) : String(canonical);
}

/** The row checks of a view's features as SQL predicates, in feature then check order. */
function sqlRowChecks(view: BatchFeatureView): SqlRowCheck[] {
  const out: SqlRowCheck[] = [];
  for (const feature of view.features) {
    const checks = feature.checks;
    if (!checks) continue;
    const column = quoteIdentifier(feature.name);
    // NaN is within no bound (DuckDB would order it above every number).
    const nan = FLOAT_TYPES.has(feature.type) ? ` OR isnan(${column})` : '';
    const add = (kind: RowCheckKind, rule: string, failing: string) =>
      out.push({ feature: feature.name, kind, rule, failing });
    if (checks.notNull) add('notNull', 'notNull', `${column} IS NULL`);
    if (checks.min !== undefined)
      add('min', `min ${checks.min}`, `(${column} < ${boundSql(feature, checks.min)}${nan})`);
    if (checks.max !== undefined)
      add('max', `max ${checks.max}`, `(${column} > ${boundSql(feature, checks.max)}${nan})`);
    if (checks.allowed !== undefined)
      add(
        'allowed',
        `allowed ${describeAllowed(checks.allowed)}`,
        `${column} NOT IN (${checks.allowed.map((a) => allowedSql(feature, a)).join(', ')})`,
      );
  }
  return out;
}

/** Whether a view declares any check. */
export function hasChecks(view: BatchFeatureView): boolean {
  return view.checks?.minRows !== undefined || view.features.some((f) => f.checks !== undefined);
}

function stagedRows(staging: string): string {
  return `read_parquet(${quoteString(path.join(staging, 'date=*', '*.parquet'))}, hive_partitioning = true, hive_types = {'date': VARCHAR})`;
}

async function sampleRows(
  connection: DuckDBConnection,
  staging: string,
  keys: readonly string[],
  feature: string,
  failing: string,
  dates: readonly string[],
): Promise<Map<string, SampleRow[]>> {
  const order = [...keys.map(quoteIdentifier), EVENT_TIMESTAMP].join(', ');
  const columns = [
    ...keys.map((k) => `CAST(${quoteIdentifier(k)} AS VARCHAR) AS ${quoteIdentifier(k)}`),
    `strftime(${EVENT_TIMESTAMP}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${EVENT_TIMESTAMP}`,
    `CAST(${quoteIdentifier(feature)} AS VARCHAR) AS ${quoteIdentifier(feature)}`,
  ];
  const reader = await connection.runAndReadAll(
    `SELECT date, ${columns.join(', ')} FROM ${stagedRows(staging)}
     WHERE ${failing} AND date IN (${dates.map(quoteString).join(', ')})
     QUALIFY row_number() OVER (PARTITION BY date ORDER BY ${order}) <= ${MAX_SAMPLES}
     ORDER BY date, ${order}`,
  );
  const out = new Map<string, SampleRow[]>();
  for (const row of reader.getRowObjectsJS()) {
    const { date, ...rest } = row;
    const sample: SampleRow = {};
    for (const [k, v] of Object.entries(rest)) sample[k] = v === null ? null : String(v);
    const list = out.get(String(date)) ?? [];
    list.push(sample);
    out.set(String(date), list);
  }
  return out;
}

/**
 * Every check of `view` that the staged partitions fail: row checks and `maxNullFraction` per
 * partition, `minRows` over the `rows` the compute wrote. `staged` lists the staged dates (none
 * when the compute wrote no rows).
 */
export async function validateStaged(
  connection: DuckDBConnection,
  view: BatchFeatureView,
  keys: readonly string[],
  staging: string,
  staged: readonly string[],
  rows: number,
): Promise<CheckFailure[]> {
  const failures: CheckFailure[] = [];
  const rowChecks = sqlRowChecks(view);
  const nullChecks = view.features.flatMap((f) =>
    f.checks?.maxNullFraction === undefined ? [] : [{ feature: f.name, max: f.checks.maxNullFraction }],
  );
  if (staged.length > 0 && rowChecks.length + nullChecks.length > 0) {
    const counts = [
      ...rowChecks.map((c) => `count(*) FILTER (WHERE ${c.failing})`),
      ...nullChecks.map((c) => `count(*) FILTER (WHERE ${quoteIdentifier(c.feature)} IS NULL)`),
    ];
    const reader = await connection.runAndReadAll(
      `SELECT date, count(*), ${counts.join(', ')} FROM ${stagedRows(staging)} GROUP BY date ORDER BY date`,
    );
    const perDate = reader.getRowsJS().map((r) => ({
      date: String(r[0]),
      rows: Number(r[1]),
      counts: r.slice(2).map(Number),
    }));
    for (const [i, check] of rowChecks.entries()) {
      const failingDates = perDate.filter((d) => d.counts[i]! > 0);
      if (failingDates.length === 0) continue;
      const samples = await sampleRows(
        connection,
        staging,
        keys,
        check.feature,
        check.failing,
        failingDates.map((d) => d.date),
      );
      for (const d of failingDates)
        failures.push({
          feature: check.feature,
          check: check.kind,
          rule: check.rule,
          partition: d.date,
          failing: d.counts[i]!,
          rows: d.rows,
          samples: samples.get(d.date) ?? [],
        });
    }
    for (const [j, check] of nullChecks.entries()) {
      const i = rowChecks.length + j;
      const failingDates = perDate.filter((d) => d.rows > 0 && d.counts[i]! / d.rows > check.max);
      if (failingDates.length === 0) continue;
      const nullSql = `${quoteIdentifier(check.feature)} IS NULL`;
      const dates = failingDates.map((d) => d.date);
      const samples = await sampleRows(connection, staging, keys, check.feature, nullSql, dates);
      for (const d of failingDates)
        failures.push({
          feature: check.feature,
          check: 'maxNullFraction',
          rule: `maxNullFraction ${check.max}`,
          partition: d.date,
          failing: d.counts[i]!,
          rows: d.rows,
          samples: samples.get(d.date) ?? [],
        });
    }
  }
  const minRows = view.checks?.minRows;
  if (minRows !== undefined && rows < minRows)
    failures.push({
      feature: null,
      check: 'minRows',
      rule: `minRows ${minRows}`,
      partition: null,
      failing: rows,
      rows,
      samples: [],
    });
  return failures;
}
