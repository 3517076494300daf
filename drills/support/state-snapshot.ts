/**
 * What a refused request must not have touched: every Redis key under a prefix (by the digest of
 * its DUMP, so any change of value or type shows) and every file under some folders (by size and
 * mtime). Two snapshots are compared entry by entry.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { keysUnder } from './redis-key-prefix.ts';

/** `redis:<key>` or `file:<path>` → a fingerprint of its content. */
export type StateSnapshot = Map<string, string>;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

export async function snapshotState(
  redis: Redis,
  keyPrefix: string,
  dirs: readonly string[],
): Promise<StateSnapshot> {
  const out: StateSnapshot = new Map();
  for (const key of (await keysUnder(redis, keyPrefix)).sort()) {
    const dump = await redis.dumpBuffer(key);
    if (dump) out.set(`redis:${key}`, createHash('sha256').update(dump).digest('hex'));
  }
  for (const dir of dirs) {
    for (const file of (await filesUnder(dir)).sort()) {
      const st = await stat(file).catch(() => undefined);
      if (st) out.set(`file:${file}`, `${st.size}:${st.mtimeMs}`);
    }
  }
  return out;
}

/** Entries added, removed or changed between two snapshots, e.g. `+redis:k`, `~file:f`, `-redis:k`. */
export function snapshotChanges(before: StateSnapshot, after: StateSnapshot): string[] {
  const changes: string[] = [];
  for (const [entry, print] of after) {
    const was = before.get(entry);
    if (was === undefined) changes.push(`+${entry}`);
    else if (was !== print) changes.push(`~${entry}`);
  }
  for (const entry of before.keys()) if (!after.has(entry)) changes.push(`-${entry}`);
  return changes;
}
