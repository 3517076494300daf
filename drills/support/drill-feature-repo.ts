/**
 * A small feature repo for drills that put `trove serve` under load: one view of drivers over a
 * push source, its registry written directly (no data files to generate), Redis and the key prefix
 * in trove.yaml. Values are a function of the driver id, so every answer can be checked exactly.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import type { RepoDefinitions } from '../../src/definitions/repo-definitions.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { commitRegistry } from '../../src/registry/registry-file.ts';
import { drillKeyPrefix } from './redis-key-prefix.ts';

const PROJECT = 'drill_serving';
export const DRILL_VIEW = 'driver_stats';
export const PUSH_SOURCE = 'driver_push';

export interface DrillRepoOptions {
  /** Folder of the repo (created by the caller, e.g. the drill's workDir). */
  dir: string;
  redisUrl: string;
  /** Names the drill in the key prefix. */
  drill: string;
  /** The store's timeouts, written to trove.yaml (defaults: the product's). */
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

export interface DrillRepo {
  dir: string;
  redisUrl: string;
  keyPrefix: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Environment for `trove serve` and stores opened on this repo (it wins over the caller's). */
  env: NodeJS.ProcessEnv;
}

function definitions(): RepoDefinitions {
  return {
    entities: [entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] })],
    sources: [sourceSchema.parse({ kind: 'push', name: PUSH_SOURCE, timestampField: 'event_timestamp' })],
    featureViews: [
      featureViewSchema.parse({
        name: DRILL_VIEW,
        entities: ['driver'],
        source: PUSH_SOURCE,
        ttl: 0,
        features: [
          { name: 'score', type: 'float64' },
          { name: 'trips', type: 'int64' },
        ],
      }),
    ],
    featureServices: [],
  };
}

/** Writes trove.yaml and the registry (version 1) into `options.dir`. */
export async function createDrillRepo(options: DrillRepoOptions): Promise<DrillRepo> {
  const keyPrefix = drillKeyPrefix(options.drill);
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 1000;
  await writeFile(
    path.join(options.dir, 'trove.yaml'),
    [
      `project: ${PROJECT}`,
      'onlineStore:',
      `  redis: ${options.redisUrl}`,
      `  keyPrefix: ${keyPrefix}`,
      `  connectTimeoutMs: ${connectTimeoutMs}`,
      `  commandTimeoutMs: ${commandTimeoutMs}`,
      '',
    ].join('\n'),
  );
  await commitRegistry(path.join(options.dir, '.trove', 'registry.json'), PROJECT, 0, definitions());
  return {
    dir: options.dir,
    redisUrl: options.redisUrl,
    keyPrefix,
    connectTimeoutMs,
    commandTimeoutMs,
    env: { REDIS_URL: options.redisUrl, TROVE_REDIS_KEY_PREFIX: keyPrefix, TROVE_API_KEYS: '' },
  };
}

/** Opens the repo's FeatureStore in the drill's own process (to seed or reload data). */
export function openDrillStore(repo: DrillRepo): Promise<FeatureStore> {
  return FeatureStore.open(repo.dir, { env: { ...process.env, ...repo.env } });
}

export function expectedScore(driver: number): number {
  return driver + 0.25;
}

export function expectedTrips(driver: number): number {
  return driver * 3;
}

/** A push body (Feast's shape) of drivers at `eventTime`, with the values the checks expect. */
export function pushBody(drivers: readonly number[], eventTime: Date): Record<string, unknown> {
  const at = eventTime.toISOString();
  return {
    push_source_name: PUSH_SOURCE,
    df: {
      driver_id: [...drivers],
      event_timestamp: drivers.map(() => at),
      score: drivers.map(expectedScore),
      trips: drivers.map(expectedTrips),
    },
    to: 'online',
  };
}

/** Writes drivers `first..first+count-1` online through the store (what a materialization does). */
export async function seedDrivers(repo: DrillRepo, first: number, count: number): Promise<void> {
  const store = await openDrillStore(repo);
  try {
    const drivers = Array.from({ length: count }, (_, i) => first + i);
    const body = pushBody(drivers, new Date('2024-01-01T00:00:00Z'));
    await store.push({
      pushSourceName: PUSH_SOURCE,
      df: body.df as Record<string, unknown[]>,
      to: 'online',
    });
  } finally {
    await store.close();
  }
}

/** The body of an online read of `drivers`. */
export function onlineReadBody(drivers: readonly number[]): string {
  return JSON.stringify({
    entities: { driver_id: drivers },
    features: [`${DRILL_VIEW}:score`, `${DRILL_VIEW}:trips`],
  });
}

interface OnlineAnswer {
  metadata?: { feature_names?: unknown };
  results?: { values?: unknown[]; statuses?: unknown[] }[];
}

/**
 * Checks a 200 answer to `onlineReadBody(drivers)`: undefined when every value is the expected
 * one, else what was wrong. `present: false` accepts NOT_FOUND rows (after Redis lost its data).
 */
export function checkOnlineAnswer(
  text: string,
  drivers: readonly number[],
  options: { present: boolean } = { present: true },
): string | undefined {
  let answer: OnlineAnswer;
  try {
    answer = JSON.parse(text) as OnlineAnswer;
  } catch {
    return `not JSON: ${text.slice(0, 120)}`;
  }
  const [keys, score, trips] = answer.results ?? [];
  if (!keys || !score || !trips) return `not three result columns: ${text.slice(0, 120)}`;
  for (let i = 0; i < drivers.length; i++) {
    const d = drivers[i]!;
    if (keys.values?.[i] !== d) return `row ${i}: driver ${String(keys.values?.[i])}, expected ${d}`;
    const status = score.statuses?.[i];
    if (status === 'NOT_FOUND' && !options.present && trips.statuses?.[i] === 'NOT_FOUND') continue;
    if (status !== 'PRESENT' || trips.statuses?.[i] !== 'PRESENT')
      return `driver ${d}: statuses ${String(status)}/${String(trips.statuses?.[i])}`;
    if (score.values?.[i] !== expectedScore(d) || trips.values?.[i] !== expectedTrips(d))
      return `driver ${d}: values ${String(score.values?.[i])}/${String(trips.values?.[i])}`;
  }
  return undefined;
}

/** Checks a 200 answer to a push of `rows` rows. */
export function checkPushAnswer(text: string, rows: number): string | undefined {
  try {
    const answer = JSON.parse(text) as { rows?: unknown };
    return answer.rows === rows ? undefined : `push answered ${text.slice(0, 120)}`;
  } catch {
    return `not JSON: ${text.slice(0, 120)}`;
  }
}
