/**
 * A repo's sources cannot make plan or apply read files outside the repo (absolute paths, `..`,
 * links, globs through links, SQL that reads them), and SQL sources or transformations cannot
 * smuggle a second statement after their query. Canary files outside the repo prove it: their
 * content never appears in the errors, and no file a fragment targets is created.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import { planRepo } from '../../src/registry/apply-repo.ts';
import { makeTempRepo, seedRepo, type TempRepo } from '../helpers/temp-repo.ts';

const TOKEN = `CANARY${randomBytes(6).toString('hex')}`;
let repo: TempRepo;
let outside: string;

function defs(source: string, transformation = ''): string {
  return `entities:
  - { name: driver, joinKeys: [{ name: driver_id, type: int64 }] }
sources:
  - ${source}
featureViews:
  - name: stats
    entities: [driver]
    source: s
    features: [{ name: conv_rate, type: float32 }]
${transformation ? `    transformation: ${JSON.stringify(transformation)}\n` : ''}`;
}

async function planError(text: string): Promise<string> {
  await repo.write('defs.yaml', text);
  const err = await planRepo(await loadConfig(repo.dir, {})).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error('plan accepted the repo');
  return err.message;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  repo = await makeTempRepo();
  await seedRepo(repo, 200);
  outside = `${repo.dir}-outside`;
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'canary.csv'), `${TOKEN},event_timestamp\n1,2024-01-01\n`);
  await symlink(path.join(outside, 'canary.csv'), path.join(repo.dir, 'data', 'link.csv'));
  await symlink(outside, path.join(repo.dir, 'data', 'link-dir'));
});

afterAll(async () => {
  await repo.remove();
  await rm(outside, { recursive: true, force: true });
});

describe('source paths', () => {
  it.each([
    ['an absolute path', () => path.join(outside, 'canary.csv')],
    ['a path with ..', () => path.relative(repo.dir, path.join(outside, 'canary.csv'))],
    ['a link to a file outside', () => 'data/link.csv'],
    ['a glob through a link to a folder outside', () => 'data/link-dir/*.csv'],
    ['a glob with .. after the wildcard', () => `data/*/../../../${path.basename(outside)}/*.csv`],
  ])('refuses %s, naming the source', async (_what, p) => {
    const message = await planError(
      defs(`{ name: s, kind: csv, path: ${JSON.stringify(p())}, timestampField: t }`),
    );
    expect(message).toContain('source s: field path: path');
    expect(message).toMatch(/leads outside the repo/);
    expect(message).not.toContain(TOKEN);
  });

  it('refuses SQL that reads outside, without quoting the file', async () => {
    const query = `SELECT * FROM read_csv('${path.join(outside, 'canary.csv')}')`;
    const message = await planError(
      defs(`{ name: s, kind: sql, query: ${JSON.stringify(query)}, timestampField: t }`),
    );
    expect(message).toMatch(/Permission Error: Cannot access file/);
    expect(message).not.toContain(TOKEN);
  });

  it('reads folders the operator lists in TROVE_DATA_DIRS', async () => {
    await repo.write(
      'defs.yaml',
      defs(
        `{ name: s, kind: csv, path: ${JSON.stringify(path.join(outside, 'canary.csv'))}, timestampField: event_timestamp }`,
      ),
    );
    const err = await planRepo(await loadConfig(repo.dir, { TROVE_DATA_DIRS: outside })).then(
      () => undefined,
      (e: Error) => e,
    );
    // Read, so its columns are known: the view's features are missing from it, nothing else.
    expect(err?.message).toMatch(/column driver_id not found in source s/);
  });
});

describe('SQL that smuggles statements', () => {
  const target = () => path.join(outside, 'smuggled.csv');

  it.each([
    ['a second statement', () => `SELECT 1 AS x; COPY (SELECT 1) TO '${target()}'`],
    [
      'a parenthesis closed early',
      () => `SELECT 1 AS x) t; COPY (SELECT 1) TO '${target()}'; SELECT * FROM (SELECT 1`,
    ],
    ['a COPY instead of a query', () => `COPY (SELECT 1) TO '${target()}'`],
  ])('in a SQL source: refuses %s and runs none of it', async (_what, query) => {
    const message = await planError(
      defs(`{ name: s, kind: sql, query: ${JSON.stringify(query())}, timestampField: t }`),
    );
    expect(message).toMatch(/source s: field query: the query: (must be a single query|syntax error)/);
    expect(await exists(target())).toBe(false);
  });

  it('in a transformation: refuses a second statement and runs none of it', async () => {
    const message = await planError(
      defs(
        '{ name: s, kind: parquet, path: data/driver_stats.parquet, timestampField: event_timestamp }',
        `SELECT * FROM source; COPY (SELECT 1) TO '${target()}'`,
      ),
    );
    expect(message).toMatch(
      /featureView stats: field transformation: the transformation: must be a single query/,
    );
    expect(await exists(target())).toBe(false);
  });

  it('lets a transformation end in a comment', async () => {
    await repo.write(
      'defs.yaml',
      defs(
        '{ name: s, kind: parquet, path: data/driver_stats.parquet, timestampField: event_timestamp }',
        'SELECT driver_id, event_timestamp, conv_rate FROM source -- the newest rows',
      ),
    );
    await expect(planRepo(await loadConfig(repo.dir, {}))).resolves.toBeDefined();
  });
});
