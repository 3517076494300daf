/**
 * Every registry version that was ever in force, kept beside the registry file so a training
 * dataset can be rebuilt with the definitions it was built with (SPEC §9) and `trove registry-dump
 * --version N` can print one:
 *
 *   <registry folder>/registry-history/v<version>-<hash>.json
 *
 * A file holds the snapshot exactly as the registry file held it. The hash is in the name because
 * a registry that was removed and applied again starts counting versions anew: two snapshots may
 * then share a version number, never a version and a hash. Files are written by rename, so a crash
 * leaves a whole file or none; a version missing from the history (applied before it existed, or
 * a crash right after the apply's rename) is added the next time anything reads it as current.
 */
import { mkdir, open, readdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, TroveError } from '../errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { hashDefinitions, type RegistrySnapshot } from './registry.ts';
import { parseRegistrySnapshot } from './registry-file.ts';

export function registryHistoryFolder(registryPath: string): string {
  return path.join(path.dirname(registryPath), 'registry-history');
}

function historyFile(registryPath: string, version: number, hash: string): string {
  return path.join(registryHistoryFolder(registryPath), `v${version}-${hash}.json`);
}

const HISTORY_NAME = /^v(\d+)-([0-9a-f]{64})\.json$/;

/** Adds a committed snapshot to the history, unless it is there already. Version 0 is never kept. */
export async function keepRegistryVersion(registryPath: string, snapshot: RegistrySnapshot): Promise<void> {
  if (snapshot.version === 0) return;
  const file = historyFile(registryPath, snapshot.version, snapshot.hash);
  if (
    await stat(file).then(
      () => true,
      () => false,
    )
  )
    return;
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(`${canonicalJson(snapshot, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

/** The versions the history holds, oldest first (a version applied twice appears twice). */
export async function registryHistory(
  registryPath: string,
): Promise<{ version: number; hash: string; file: string }[]> {
  const folder = registryHistoryFolder(registryPath);
  const names = await readdir(folder).catch(() => [] as string[]);
  return names
    .flatMap((n) => {
      const m = HISTORY_NAME.exec(n);
      return m ? [{ version: Number(m[1]), hash: m[2]!, file: path.join(folder, n) }] : [];
    })
    .sort((a, b) => a.version - b.version);
}

async function readHistoryFile(file: string): Promise<RegistrySnapshot> {
  const snapshot = parseRegistrySnapshot(await readFile(file, 'utf8'), file);
  if (hashDefinitions(snapshot.objects) !== snapshot.hash) {
    throw new TroveError(
      'REGISTRY_CORRUPT',
      `registry history file ${file} does not hold the objects its hash ${snapshot.hash.slice(0, 12)}… names (edited by hand?)`,
      503,
    );
  }
  return snapshot;
}

/**
 * Registry version `version` as it was applied; with `hash`, exactly that snapshot. When a version
 * number was applied twice (the registry was reset) and no hash is given, the newest apply wins.
 */
export async function readRegistryVersion(
  registryPath: string,
  version: number,
  hash?: string,
): Promise<RegistrySnapshot> {
  const all = (await registryHistory(registryPath)).filter((h) => h.version === version);
  const found = hash === undefined ? all : all.filter((h) => h.hash === hash);
  if (found.length === 0) {
    const known = (await registryHistory(registryPath)).map((h) => h.version);
    throw new NotFoundError(
      'UNKNOWN_REGISTRY_VERSION',
      `registry version ${version}${hash ? ` with hash ${hash.slice(0, 12)}…` : ''} is not in the registry history ${registryHistoryFolder(registryPath)}${
        known.length > 0 ? ` (it holds versions ${[...new Set(known)].join(', ')})` : ' (it is empty)'
      }`,
    );
  }
  const snapshots = await Promise.all(found.map((h) => readHistoryFile(h.file)));
  snapshots.sort((a, b) => (a.appliedAt ?? '').localeCompare(b.appliedAt ?? ''));
  const snapshot = snapshots.at(-1)!;
  if (hash !== undefined && snapshot.hash !== hash) {
    throw new TroveError(
      'REGISTRY_CORRUPT',
      `registry history file for version ${version} holds hash ${snapshot.hash}, not ${hash} as its name says`,
      503,
    );
  }
  return snapshot;
}
