/**
 * What a drill against a feature repo starts from: a scratch repo in its work folder, a key prefix
 * of its own in the shared Redis with a client to inspect it, and the environment that points
 * `trove` there. `close()` removes all of it, whatever the drill's outcome.
 */
import path from 'node:path';
import { Redis } from 'ioredis';
import { makeTempRepo, type TempRepo } from '../../tests/helpers/temp-repo.ts';
import type { DrillContext } from '../drill.ts';
import { deleteKeysUnder, drillKeyPrefix } from './redis-key-prefix.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface DrillScratch {
  repo: TempRepo;
  keyPrefix: string;
  redis: Redis;
  /** For `trove` and `trove serve`: this Redis, this prefix, and the API keys given. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function openDrillScratch(
  ctx: DrillContext,
  drillName: string,
  apiKeys = '',
): Promise<DrillScratch> {
  const keyPrefix = drillKeyPrefix(drillName);
  const repo = await makeTempRepo(path.join(ctx.workDir, 'repo'));
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return {
    repo,
    keyPrefix,
    redis,
    env: { REDIS_URL, TROVE_REDIS_KEY_PREFIX: keyPrefix, TROVE_API_KEYS: apiKeys },
    close: async () => {
      await deleteKeysUnder(redis, keyPrefix).catch(() => undefined);
      redis.disconnect();
      await repo.remove();
    },
  };
}
