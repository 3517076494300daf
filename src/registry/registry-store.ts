/**
 * Where a project's registry is kept: a file (file-registry-store.ts, the default) or a Redis
 * (redis-registry-store.ts) that processes on many machines share. Both hold the same snapshots in
 * the same canonical JSON, commit by compare-and-swap and keep every applied version.
 */
import type { RepoDefinitions } from '../definitions/repo-definitions.ts';
import type { RegistrySnapshot } from './registry.ts';

/** One applied version the history holds. */
export interface RegistryVersionEntry {
  version: number;
  hash: string;
}

export interface RegistryStore {
  /** Where the registry is, for messages; never credentials. */
  readonly location: string;
  /** The registry as last applied; the empty registry of version 0 before any apply. */
  read(): Promise<RegistrySnapshot>;
  /**
   * Commits `objects` as version `expectedVersion + 1`, if the registry is still at
   * `expectedVersion`; otherwise changes nothing and throws a ConflictError (REGISTRY_CHANGED).
   */
  compareAndSwap(expectedVersion: number, objects: RepoDefinitions): Promise<RegistrySnapshot>;
  /** The versions the history holds, oldest first (a version applied twice appears twice). */
  history(): Promise<RegistryVersionEntry[]>;
  /**
   * Version `version` as it was applied; with `hash`, exactly that snapshot. Without a hash, of a
   * version number applied twice (the registry was reset) the newest apply wins.
   */
  readVersion(version: number, hash?: string): Promise<RegistrySnapshot>;
  /** Adds a snapshot to the history unless it is there (a dataset records the one it was built with). */
  keepVersion(snapshot: RegistrySnapshot): Promise<void>;
  /**
   * Text that changes whenever the registry does, known without waiting: a long-lived reader
   * re-reads the registry when it differs from what it was at the last read.
   */
  changeToken(): string;
  /** Calls `listener` soon after the registry changes (at most ~1 s late); returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
