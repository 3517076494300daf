import { stat } from 'node:fs/promises';
import { loadConfig, type ResolvedConfig } from './config/trove-config.ts';
import { Registry } from './registry/registry.ts';
import { readRegistryFile } from './registry/registry-file.ts';

/** How to open a store. */
export interface FeatureStoreOptions {
  /** Environment for overrides (REDIS_URL, ...); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Wires the parts of Trove for one feature repo: its config, its registry, the offline store and
 * the online store. Long-lived callers (the server, the materializer) keep one and call
 * `registry()`, which re-reads the registry only when its file changed.
 */
export class FeatureStore {
  readonly config: ResolvedConfig;
  private cached: { registry: Registry; mtimeMs: number; size: number } | undefined;

  private constructor(config: ResolvedConfig) {
    this.config = config;
  }

  static async open(repoDir: string, options: FeatureStoreOptions = {}): Promise<FeatureStore> {
    return new FeatureStore(await loadConfig(repoDir, options.env ?? process.env));
  }

  /** The registry as last applied; cheap when nothing changed (one stat of the file). */
  async registry(): Promise<Registry> {
    const st = await stat(this.config.registryPath).catch(() => undefined);
    const mtimeMs = st?.mtimeMs ?? -1;
    const size = st?.size ?? -1;
    if (this.cached && this.cached.mtimeMs === mtimeMs && this.cached.size === size)
      return this.cached.registry;
    const registry = new Registry(await readRegistryFile(this.config.registryPath, this.config.project));
    this.cached = { registry, mtimeMs, size };
    return registry;
  }

  /** Releases connections held by the store. */
  async close(): Promise<void> {}
}
