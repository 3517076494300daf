import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintFile, sameFingerprint } from '../../../src/offline/lineage/fingerprint.ts';

/** The method docs/lineage.md describes, computed from the whole file in memory. */
function documented(bytes: Buffer): string {
  if (bytes.length <= 128 * 1024) return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const hash = createHash('sha256').update(`${bytes.length}\n`);
  const edge = 32 * 1024;
  hash.update(bytes.subarray(0, edge));
  const inner = bytes.length - 2 * edge;
  for (let i = 1; i <= 8; i++) {
    const at = edge + Math.floor((inner * i) / 9);
    hash.update(bytes.subarray(at, at + 4096));
  }
  hash.update(bytes.subarray(bytes.length - edge));
  return `sampled:${hash.digest('hex')}`;
}

describe('file fingerprints', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'trove-fingerprint-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('follow the documented method for sizes on both sides of the whole-file limit', async () => {
    const sizes = fc.oneof(
      fc.integer({ min: 0, max: 300 * 1024 }),
      fc.constantFrom(0, 1, 128 * 1024 - 1, 128 * 1024, 128 * 1024 + 1, 1024 * 1024 + 7),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(sizes, fc.integer({ min: 0, max: 255 }), async (size, seed) => {
        const file = path.join(dir, `f${n++}`);
        const bytes = Buffer.alloc(size);
        for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
        await writeFile(file, bytes);
        const print = await fingerprintFile(file);
        expect(print.fingerprint).toBe(documented(await readFile(file)));
        expect(print.size).toBe(size);
        expect(print.mtime).toBe((await stat(file)).mtime.toISOString());
        await rm(file);
      }),
      { numRuns: 40 },
    );
  });

  it('change with a sampled byte and stay with an unsampled one of the same size', async () => {
    const file = path.join(dir, 'big');
    const bytes = Buffer.alloc(512 * 1024, 1);
    await writeFile(file, bytes);
    const before = await fingerprintFile(file);
    bytes[bytes.length - 1] = 2; // in the last 32 KiB (a Parquet footer)
    await writeFile(file, bytes);
    expect(await sameFingerprint(file, before)).toBe(false);
    bytes[bytes.length - 1] = 1;
    bytes[40 * 1024] = 2; // between the first edge and the first sampled block
    await writeFile(file, bytes);
    expect(await sameFingerprint(file, before)).toBe(true);
  });

  it('reject for a missing file, a folder or a named pipe, without waiting on the pipe', async () => {
    await expect(fingerprintFile(path.join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
    await expect(fingerprintFile(dir)).rejects.toThrow(/not a regular file/);
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(fingerprintFile(fifo)).rejects.toThrow(/not a regular file/);
    expect(await sameFingerprint(path.join(dir, 'missing'), { size: 0, fingerprint: 'x' })).toBe(false);
  });
});
