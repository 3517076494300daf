/**
 * The compute lock on a full disk (a tmpfs of 1 MB, filled up): taking it fails with an error that
 * says no space is left and where, and leaves no lock behind, so the next compute after space is
 * freed is not refused. Needs root to mount; skipped elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockView } from '../../src/offline/compute-lock.ts';
import { viewFolder } from '../../src/offline/offline-layout.ts';

const dir = path.join(os.tmpdir(), `trove-full-disk-${process.pid}`);

function tryMount(): boolean {
  try {
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mounted = process.getuid?.() === 0 && tryMount();

afterAll(async () => {
  if (mounted) execFileSync('umount', [dir]);
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!mounted)('the compute lock on a full disk', () => {
  beforeAll(async () => {
    await mkdir(viewFolder(dir, 'stats'), { recursive: true });
    await writeFile(path.join(dir, 'ballast'), Buffer.alloc(4 * 1024 * 1024)).catch(() => {});
  });

  it('fails saying where no space is left, and leaves no lock', async () => {
    await expect(lockView(dir, 'stats')).rejects.toThrow(
      new RegExp(`${viewFolder(dir, 'stats')}/_lock/pid.*no space left on device`),
    );
    expect(await readdir(viewFolder(dir, 'stats'))).toEqual([]);
    await rm(path.join(dir, 'ballast'));
    const unlock = await lockView(dir, 'stats');
    await unlock();
  });
});
