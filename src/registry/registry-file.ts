import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { entitySchema } from '../definitions/entity.ts';
import { featureServiceSchema } from '../definitions/feature-service.ts';
import { featureViewSchema } from '../definitions/feature-view.ts';
import { identifierSchema } from '../definitions/identifier.ts';
import type { RepoDefinitions } from '../definitions/repo-definitions.ts';
import { sourceSchema } from '../definitions/source.ts';
import { formatPath } from '../definitions/zod-problems.ts';
import { ConflictError, TroveError } from '../errors.ts';
import { canonicalJson } from './canonical-json.ts';
import {
  emptySnapshot,
  hashDefinitions,
  REGISTRY_FORMAT_VERSION,
  type RegistrySnapshot,
} from './registry.ts';
import { keepRegistryVersion } from './registry-history.ts';

/** A lock older than this is taken to belong to a dead process. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

/**
 * A registry file is data like any other file of a repo and may have been written by hand: it is
 * checked against the definitions' schemas before any name in it becomes a file path, a Redis key
 * or SQL.
 */
const snapshotSchema = z.object({
  formatVersion: z.literal(REGISTRY_FORMAT_VERSION),
  project: identifierSchema,
  version: z.number().int().nonnegative(),
  hash: z.string(),
  appliedAt: z.string().nullable(),
  objects: z.strictObject({
    entities: z.array(entitySchema),
    sources: z.array(sourceSchema),
    featureViews: z.array(featureViewSchema),
    featureServices: z.array(featureServiceSchema),
  }),
});

/** Reads the registry file; a missing file is the empty registry of version 0. */
export async function readRegistryFile(registryPath: string, project: string): Promise<RegistrySnapshot> {
  let text: string;
  try {
    text = await readFile(registryPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptySnapshot(project);
    throw err;
  }
  return parseRegistrySnapshot(text, registryPath);
}

/** A registry snapshot from the text of a registry file (or a file of the registry history). */
export function parseRegistrySnapshot(text: string, registryPath: string): RegistrySnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new TroveError('REGISTRY_CORRUPT', `registry ${registryPath} is not valid JSON`, 503);
  }
  const formatVersion = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (formatVersion !== REGISTRY_FORMAT_VERSION) {
    throw new TroveError(
      'REGISTRY_FORMAT',
      `registry ${registryPath} has format ${JSON.stringify(formatVersion)}; this Trove reads format ${REGISTRY_FORMAT_VERSION}`,
      503,
    );
  }
  const parsed = snapshotSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${formatPath(i.path) || '(top)'}: ${i.message}`)
      .join('; ');
    throw new TroveError(
      'REGISTRY_CORRUPT',
      `registry ${registryPath} is not a valid registry: ${issues}`,
      503,
    );
  }
  return parsed.data;
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
    // The version being replaced stays readable for datasets built with it (registry-history.ts).
    await keepRegistryVersion(registryPath, current);
    const tmp = `${registryPath}.${process.pid}.${Date.now()}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(`${canonicalJson(next, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, registryPath);
    await keepRegistryVersion(registryPath, next);
    return next;
  } finally {
    await release();
  }
}
