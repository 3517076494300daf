import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RepoDefinitions } from '../definitions/repo-definitions.ts';
import { ConflictError, TroveError } from '../errors.ts';
import { canonicalJson } from './canonical-json.ts';
import {
  emptySnapshot,
  hashDefinitions,
  REGISTRY_FORMAT_VERSION,
  type RegistrySnapshot,
} from './registry.ts';

/** A lock older than this is taken to belong to a dead process. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

/** Reads the registry file; a missing file is the empty registry of version 0. */
export async function readRegistryFile(registryPath: string, project: string): Promise<RegistrySnapshot> {
  let text: string;
  try {
    text = await readFile(registryPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptySnapshot(project);
    throw err;
  }
  let snapshot: RegistrySnapshot;
  try {
    snapshot = JSON.parse(text) as RegistrySnapshot;
  } catch {
    throw new TroveError('REGISTRY_CORRUPT', `registry ${registryPath} is not valid JSON`);
  }
  if (snapshot.formatVersion !== REGISTRY_FORMAT_VERSION) {
    throw new TroveError(
      'REGISTRY_FORMAT',
      `registry ${registryPath} has format ${snapshot.formatVersion}; this Trove reads format ${REGISTRY_FORMAT_VERSION}`,
    );
  }
  return snapshot;
}

async function acquireLock(lockPath: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lockPath).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new ConflictError(
          'REGISTRY_LOCKED',
          `another apply holds the registry lock ${lockPath}; try again`,
        );
      }
      await new Promise((r) => setTimeout(r, 25 + Math.random() * 50));
    }
  }
}

/**
 * Commits new objects as version `expectedVersion + 1`. The check of the current version and the
 * write happen under a lock file, and the write is a rename of a fully written file, so readers
 * see the old registry or the new one, never a mix. If another apply committed since
 * `expectedVersion` was read, nothing is written and a ConflictError says so.
 */
export async function commitRegistry(
  registryPath: string,
  project: string,
  expectedVersion: number,
  objects: RepoDefinitions,
): Promise<RegistrySnapshot> {
  await mkdir(path.dirname(registryPath), { recursive: true });
  const release = await acquireLock(`${registryPath}.lock`);
  try {
    const current = await readRegistryFile(registryPath, project);
    if (current.version !== expectedVersion) {
      throw new ConflictError(
        'REGISTRY_CHANGED',
        `the registry changed while this apply ran (version ${expectedVersion} → ${current.version}); nothing was applied — run trove plan and apply again`,
      );
    }
    const next: RegistrySnapshot = {
      formatVersion: REGISTRY_FORMAT_VERSION,
      project,
      version: expectedVersion + 1,
      hash: hashDefinitions(objects),
      appliedAt: new Date().toISOString(),
      objects,
    };
    const tmp = `${registryPath}.${process.pid}.${Date.now()}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(`${canonicalJson(next, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, registryPath);
    return next;
  } finally {
    await release();
  }
}
