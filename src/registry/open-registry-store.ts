/** Opens the registry a config names: its Redis when `registry` names one, else its file. */
import type { ResolvedConfig } from '../config/trove-config.ts';
import { FileRegistryStore } from './file-registry-store.ts';
import { RedisRegistryStore } from './redis-registry-store.ts';
import type { RegistryStore } from './registry-store.ts';

export type RegistryConfig = Pick<ResolvedConfig, 'registryPath' | 'registryRedis' | 'project'>;

export function openRegistryStore(config: RegistryConfig): RegistryStore {
  return config.registryRedis
    ? new RedisRegistryStore(config.registryRedis, config.project)
    : new FileRegistryStore(config.registryPath, config.project);
}

/** Runs `use` with the config's registry open, and closes it after: for one-off reads and applies. */
export async function withRegistryStore<T>(
  config: RegistryConfig,
  use: (store: RegistryStore) => Promise<T>,
): Promise<T> {
  const store = openRegistryStore(config);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
