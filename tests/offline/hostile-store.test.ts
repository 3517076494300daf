/**
 * A repo may ship its own `.trove`: a hand-written registry, swap journals and links that no
 * compute wrote. None of them may make Trove read, write, move or remove anything outside the
 * repo and its offline store, and entity queries may not smuggle statements or read elsewhere.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { access, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeViews } from '../../src/offline/compute-views.ts';
import { historicalTable } from '../../src/offline/historical-output.ts';
import type { OfflineConfig } from '../../src/offline/offline-duckdb.ts';
import { viewFolder } from '../../src/offline/offline-layout.ts';
import { recoverView } from '../../src/offline/partition-swap.ts';
import { pushRows } from '../../src/push/push-rows.ts';
import type { Registry } from '../../src/registry/registry.ts';
import { readRegistryFile } from '../../src/registry/registry-file.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';
import { makeRegistry, offlineConfig, writeParquet } from './offline-test-kit.ts';

const T0 = 1_710_072_000_000_000n;
const TOKEN = `CANARY${randomBytes(6).toString('hex')}`;
let repo: TempRepo;
let outside: string;
let config: OfflineConfig;
let registry: Registry;

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function errorOf(work: Promise<unknown>): Promise<Error & { code?: string; status?: number }> {
  const err = await work.then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error('accepted');
  return err;
}

beforeAll(async () => {
  repo = await makeTempRepo();
  outside = `${repo.dir}-outside`;
  await mkdir(outside, { recursive: true });
  const columns = [
    { name: 'driver_id', type: 'BIGINT' },
    { name: 'event_timestamp', type: 'TIMESTAMPTZ' },
    { name: 'rate', type: 'VARCHAR' },
  ];
  await writeParquet(path.join(repo.dir, 'data.parquet'), columns, [[1n, { micros: T0 }, '0.5']]);
  await writeParquet(path.join(outside, 'canary.parquet'), columns, [[1n, { micros: T0 }, TOKEN]]);
  registry = makeRegistry({
    entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
    sources: [
      { kind: 'parquet', name: 'src', path: 'data.parquet', timestampField: 'event_timestamp' },
      { kind: 'push', name: 'pushed', timestampField: 'event_timestamp' },
    ],
    featureViews: [
      { name: 'v', entities: ['driver'], source: 'src', features: [{ name: 'rate', type: 'string' }] },
      { name: 'p', entities: ['driver'], source: 'pushed', features: [{ name: 'rate', type: 'string' }] },
    ],
  });
  config = offlineConfig(repo.dir);
  await computeViews(config, registry, { views: ['v'] });
});

afterAll(async () => {
  await repo.remove();
  await rm(outside, { recursive: true, force: true });
});

const entities = { columns: { driver_id: [1], event_timestamp: [new Date(Number(T0 / 1000n) + 1000)] } };

describe('a hand-written registry', () => {
  it('is checked against the schemas before a name becomes a path or SQL', async () => {
    const file = path.join(repo.dir, 'registry.json');
    const snapshot = {
      formatVersion: 1,
      project: 'test',
      version: 1,
      hash: '',
      appliedAt: null,
      objects: {
        ...registry.definitions,
        featureViews: [{ ...registry.featureViews()[0], name: '../../x' }],
      },
    };
    await writeFile(file, JSON.stringify(snapshot));
    const err = await errorOf(readRegistryFile(file, 'test'));
    expect(err.message).toMatch(
      /not a valid registry: objects.featureViews\[0\].name: expected an identifier/,
    );
    expect(err.status).toBe(503);
  });
});

describe('files planted in the offline store', () => {
  it('a swap journal naming paths outside is refused, and nothing is moved', async () => {
    const victim = path.join(outside, 'victim');
    await mkdir(victim, { recursive: true });
    await writeFile(path.join(victim, 'keep.txt'), 'keep');
    const folder = viewFolder(config.offlineStorePath, 'v');
    const id = randomUUID();
    // `date=x/..` is the view's folder again; from there, the way to the victim.
    const date = `x/../${path.relative(folder, victim)}`;
    const journal = path.join(folder, `_swap-${id}.json`);
    await writeFile(journal, JSON.stringify({ id, dates: [{ date, staged: false }] }));
    try {
      const err = await errorOf(recoverView(config.offlineStorePath, 'v'));
      expect(err.message).toMatch(/swap journal .* is not one Trove wrote/);
      expect(await readFile(path.join(victim, 'keep.txt'), 'utf8')).toBe('keep');
    } finally {
      await rm(journal);
    }
  });

  it('a partition file linking outside is not read', async () => {
    const folder = path.join(viewFolder(config.offlineStorePath, 'v'), 'date=2024-03-09');
    await mkdir(folder, { recursive: true });
    await symlink(path.join(outside, 'canary.parquet'), path.join(folder, 'part-0.parquet'));
    try {
      const err = await errorOf(historicalTable(config, registry, { entities, features: ['v:rate'] }));
      expect(err.message).toMatch(/Permission Error: Cannot access file/);
      expect(err.message).not.toContain(TOKEN);
    } finally {
      await rm(folder, { recursive: true });
    }
  });

  it('a view folder linking outside is not written in', async () => {
    const target = path.join(outside, 'view-target');
    await mkdir(target, { recursive: true });
    await symlink(target, viewFolder(config.offlineStorePath, 'p'));
    try {
      const err = await errorOf(computeViews(config, registry, { views: ['p'] }));
      expect(err.message).toMatch(/leads outside the offline store/);
      expect(await readdir(target)).toEqual([]);
      // Nor listed to be read.
      const read = await errorOf(historicalTable(config, registry, { entities, features: ['p:rate'] }));
      expect(read.message).toMatch(/leads outside the offline store/);
    } finally {
      await rm(viewFolder(config.offlineStorePath, 'p'));
    }
  });

  it('a swap journal that is a link is not followed', async () => {
    await writeFile(path.join(outside, 'journal.json'), JSON.stringify({ id: TOKEN, dates: [] }));
    const id = randomUUID();
    const journal = path.join(viewFolder(config.offlineStorePath, 'v'), `_swap-${id}.json`);
    await symlink(path.join(outside, 'journal.json'), journal);
    try {
      const err = await errorOf(recoverView(config.offlineStorePath, 'v'));
      expect(err.message).toMatch(/swap journal .* is a symbolic link/);
      expect(err.message).not.toContain(TOKEN);
    } finally {
      await rm(journal);
    }
  });

  it('a push folder linking outside is not written in', async () => {
    const target = path.join(outside, 'push-target');
    await mkdir(target, { recursive: true });
    await mkdir(path.join(config.offlineStorePath, '_push'), { recursive: true });
    await symlink(target, path.join(config.offlineStorePath, '_push', 'pushed'));
    const err = await errorOf(
      pushRows(
        registry,
        () => {
          throw new Error('no online store in this test');
        },
        config,
        {
          pushSourceName: 'pushed',
          df: { driver_id: [1], event_timestamp: ['2024-03-10T00:00:00Z'], rate: ['x'] },
          to: 'offline',
        },
      ),
    );
    expect(err.message).toMatch(/leads outside the offline store/);
    expect(await readdir(target)).toEqual([]);
  });
});

describe('entity queries', () => {
  const target = () => path.join(outside, 'smuggled.csv');
  const row = `SELECT 1::BIGINT AS driver_id, TIMESTAMPTZ '2024-03-10 12:00:00+00' AS event_timestamp`;

  it('run over the offline store', async () => {
    const table = await historicalTable(config, registry, {
      entities: { sql: 'SELECT driver_id, event_timestamp + INTERVAL 1 SECOND AS event_timestamp FROM v' },
      features: ['v:rate'],
    });
    expect(table.getChild('rate')?.toArray()).toEqual(['0.5']);
  });

  it.each([
    ['a second statement', () => `${row}; COPY (SELECT 1) TO '${target()}'`],
    [
      'a parenthesis closed early',
      () => `${row}) t; COPY (SELECT 1) TO '${target()}'; SELECT * FROM (${row}`,
    ],
    ['an ATTACH', () => `ATTACH '${target()}' AS x`],
  ])('refuse %s and run none of it', async (_what, sql) => {
    const err = await errorOf(
      historicalTable(config, registry, { entities: { sql: sql() }, features: ['v:rate'] }),
    );
    expect(err.message).toMatch(/the entity query: (must be a single query|syntax error)/);
    expect(await exists(target())).toBe(false);
  });

  it('cannot read outside the repo and the store', async () => {
    const sql = `SELECT * FROM read_parquet('${path.join(outside, 'canary.parquet')}')`;
    const err = await errorOf(historicalTable(config, registry, { entities: { sql }, features: ['v:rate'] }));
    expect(err.message).toMatch(/Permission Error: Cannot access file/);
    expect(err.message).not.toContain(TOKEN);
  });
});
