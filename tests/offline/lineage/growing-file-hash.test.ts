import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrowingFileHash } from '../../../src/offline/lineage/growing-file-hash.ts';

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

describe('the sha256 of a file taken while it is written', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'trove-growing-hash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('matches the whole file after appends of uneven sizes, a file created late, and a rename', async () => {
    const temp = path.join(dir, 'late.tmp');
    const hash = new GrowingFileHash(temp);
    await sleep(15);
    await writeFile(temp, randomBytes(3));
    for (const size of [1, 4096, 1024 * 1024 + 5, 0, 2 * 1024 * 1024, 17]) {
      await appendFile(temp, randomBytes(size));
      await sleep(size % 3 === 0 ? 0 : 6);
    }
    const final = path.join(dir, 'late.bin');
    await rename(temp, final);
    expect(await hash.digest(final)).toBe(await sha256(final));
  });

  it('hashes the final file whole when the writer never created the one followed', async () => {
    const hash = new GrowingFileHash(path.join(dir, 'never.tmp'));
    const final = path.join(dir, 'other.bin');
    await writeFile(final, randomBytes(1000));
    expect(await hash.digest(final)).toBe(await sha256(final));
  });

  it('hashes the final file whole when the one followed was replaced', async () => {
    const temp = path.join(dir, 'replaced.tmp');
    const hash = new GrowingFileHash(temp);
    await writeFile(temp, randomBytes(5000));
    await sleep(40);
    const other = path.join(dir, 'replacement.tmp');
    await writeFile(other, randomBytes(5000));
    await rename(other, temp);
    expect(await hash.digest(temp)).toBe(await sha256(temp));
  });

  it("matches a Parquet file DuckDB's COPY writes in many row groups", async () => {
    const temp = path.join(dir, 'rows.parquet.tmp');
    const final = path.join(dir, 'rows.parquet');
    const hash = new GrowingFileHash(temp);
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    try {
      await connection.run(
        `COPY (SELECT i, random() AS x, md5(i::VARCHAR) AS s FROM range(600000) t(i)) TO '${temp}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 50000)`,
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    await rename(temp, final);
    expect(await hash.digest(final)).toBe(await sha256(final));
  });
});
