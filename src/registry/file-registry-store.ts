/**
 * The registry as a file on one disk (registry-file.ts) with its history beside it
 * (registry-history.ts): the default, for one machine or a shared filesystem.
 */
import { statSync } from 'node:fs';
import type { RepoDefinitions } from '../definitions/repo-definitions.ts';
import type { RegistrySnapshot } from './registry.ts';
import { commitRegistry, readRegistryFile } from './registry-file.ts';
import { keepRegistryVersion, readRegistryVersion, registryHistory } from './registry-history.ts';
import type { RegistryStore, RegistryVersionEntry } from './registry-store.ts';

/** How often subscribers' file is checked: a commit is a rename, which no cheap event reports everywhere. */
const WATCH_INTERVAL_MS = 1000;

export class FileRegistryStore implements RegistryStore {
  readonly location: string;
  private readonly project: string;
  private readonly listeners = new Set<() => void>();
  private watcher: NodeJS.Timeout | undefined;

  constructor(registryPath: string, project: string) {
    this.location = registryPath;
    this.project = project;
  }

  read(): Promise<RegistrySnapshot> {
    return readRegistryFile(this.location, this.project);
  }

  compareAndSwap(expectedVersion: number, objects: RepoDefinitions): Promise<RegistrySnapshot> {
    return commitRegistry(this.location, this.project, expectedVersion, objects);
  }

  async history(): Promise<RegistryVersionEntry[]> {
    return (await registryHistory(this.location)).map(({ version, hash }) => ({ version, hash }));
  }

  readVersion(version: number, hash?: string): Promise<RegistrySnapshot> {
    return readRegistryVersion(this.location, version, hash);
  }

  keepVersion(snapshot: RegistrySnapshot): Promise<void> {
    return keepRegistryVersion(this.location, snapshot);
  }

  /**
   * The file's mtime and size: a synchronous stat of a local file takes microseconds, less than a
   * round trip through the thread pool, so a reader can check on every turn of its event loop.
   */
  changeToken(): string {
    const st = statSync(this.location, { throwIfNoEntry: false });
    return st ? `${st.mtimeMs}:${st.size}` : 'none';
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    if (!this.watcher) {
      let seen = this.changeToken();
      this.watcher = setInterval(() => {
        const now = this.changeToken();
        if (now === seen) return;
        seen = now;
        for (const l of this.listeners) l();
      }, WATCH_INTERVAL_MS);
      this.watcher.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  private stopWatching(): void {
    clearInterval(this.watcher);
    this.watcher = undefined;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.stopWatching();
  }
}
