/**
 * DuckDB instances that run SQL from a repo are confined to the folders they are given: no read or
 * write elsewhere (links included), no setting SQL could change to lift that, and spilling still
 * works. User SQL must be one query, so nothing can be smuggled after it.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { checkUserQuery } from '../../src/duckdb/user-query.ts';
import { PROJECT_ROOT } from '../helpers/temp-repo.ts';

const root = path.join(PROJECT_ROOT, 'tests', '.tmp', `sandbox-${randomBytes(4).toString('hex')}`);
const inside = path.join(root, 'repo');
const outside = path.join(root, 'outside');
const TOKEN = `CANARY${randomBytes(6).toString('hex')}`;
let db: { instance: DuckDBInstance; connection: DuckDBConnection };

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

function q(sql: string): string {
  return `'${sql.replaceAll("'", "''")}'`;
}

beforeAll(async () => {
  await mkdir(inside, { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(inside, 'ok.csv'), 'a,b\n1,2\n');
  await writeFile(path.join(outside, 'canary.csv'), `${TOKEN},b\n1,2\n`);
  await symlink(path.join(outside, 'canary.csv'), path.join(inside, 'link.csv'));
  await symlink(outside, path.join(inside, 'link-dir'));
  db = await openDuckDb({ threads: 1, memoryLimit: '64MB', access: { directories: [inside] } });
});

afterAll(async () => {
  db?.connection.closeSync();
  db?.instance.closeSync();
  await rm(root, { recursive: true, force: true });
});

describe('a confined DuckDB instance', () => {
  it('reads and writes inside its folders', async () => {
    const rows = await db.connection.runAndReadAll(
      `SELECT * FROM read_csv(${q(path.join(inside, 'ok.csv'))})`,
    );
    expect(rows.getRowsJS()).toEqual([[1n, 2n]]);
    await db.connection.run(`COPY (SELECT 1 AS x) TO ${q(path.join(inside, 'written.parquet'))}`);
    expect(await exists(path.join(inside, 'written.parquet'))).toBe(true);
  });

  it.each([
    ['an absolute path', () => path.join(outside, 'canary.csv')],
    ['a path with ..', () => path.join(inside, '..', 'outside', 'canary.csv')],
    ['a link to a file outside', () => path.join(inside, 'link.csv')],
    ['a link to a folder outside', () => path.join(inside, 'link-dir', 'canary.csv')],
    ['a glob through a link', () => path.join(inside, '*', '*.csv')],
  ])('refuses to read through %s, and says nothing of the content', async (_what, file) => {
    const err = await db.connection.runAndReadAll(`SELECT * FROM read_csv(${q(file())})`).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/Permission Error: Cannot access file/);
    expect(err?.message).not.toContain(TOKEN);
  });

  it('refuses to write outside, to attach databases and to load extensions', async () => {
    const target = path.join(outside, 'created.csv');
    await expect(db.connection.run(`COPY (SELECT 1) TO ${q(target)}`)).rejects.toThrow(/Permission Error/);
    await expect(db.connection.run(`ATTACH ${q(path.join(outside, 'x.db'))}`)).rejects.toThrow(
      /Permission Error/,
    );
    await expect(db.connection.run('LOAD httpfs')).rejects.toThrow(/disabled/);
    expect(await exists(target)).toBe(false);
  });

  it('keeps its configuration locked, so SQL cannot lift the confinement', async () => {
    for (const setting of [
      'SET enable_external_access = true',
      "SET allowed_directories = ['/']",
      "SET allowed_paths = ['/etc/passwd']",
      'SET lock_configuration = false',
    ]) {
      await expect(db.connection.run(setting)).rejects.toThrow(/locked/);
    }
    const tz = await db.connection.runAndReadAll(`SELECT current_setting('TimeZone')`);
    expect(tz.getRowsJS()).toEqual([['UTC']]);
  });

  it('still spills to its own temp folder past the memory limit', async () => {
    const rows = await db.connection.runAndReadAll(
      'SELECT count(*) FROM (SELECT range AS x, md5(range::VARCHAR) AS y FROM range(2000000) ORDER BY y)',
    );
    expect(rows.getRowsJS()).toEqual([[2_000_000n]]);
  });
});

describe('user SQL', () => {
  const target = () => path.join(outside, 'smuggled.csv');

  it.each([
    'SELECT 1 AS x',
    'WITH s AS (SELECT 1 AS x) SELECT * FROM s',
    'FROM range(3)',
    "SELECT * FROM read_csv('x.csv') WHERE a = 'b;c'",
    'SELECT 1 -- a trailing comment',
  ])('accepts one query: %s', async (sql) => {
    await expect(checkUserQuery(db.connection, sql, 'the query')).resolves.toBeUndefined();
  });

  it.each([
    ['a second statement', () => `SELECT 1; COPY (SELECT 1) TO '${target()}'`],
    ['a parenthesis closed early', () => `SELECT 1) t; COPY (SELECT 1) TO '${target()}'; SELECT (1`],
    ['a COPY', () => `COPY (SELECT 1) TO '${target()}'`],
    ['an ATTACH', () => `ATTACH '${target()}' AS x`],
    ['a SET', () => 'SET enable_external_access = true'],
    ['nothing', () => '-- only a comment'],
    ['a NUL', () => 'SELECT 1\u0000; COPY (SELECT 1) TO x'],
  ])('refuses %s', async (_what, sql) => {
    const err = await checkUserQuery(db.connection, sql(), 'the query').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^the query: /);
    expect(err?.name).toBe('TroveError');
    expect(await exists(target())).toBe(false);
  });
});
