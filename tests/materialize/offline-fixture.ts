/**
 * Test fixtures for materialization: a config for a temp offline store and Parquet files written in
 * the offline store's layout (`views/<view>/date=YYYY-MM-DD/*.parquet`) straight from DuckDB SQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ResolvedConfig, troveConfigSchema } from '../../src/config/trove-config.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import type { MaterializeContext } from '../../src/materialize/materialize.ts';
import { viewFolder } from '../../src/offline/offline-layout.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { isCluster } from '../../src/online/redis-client.ts';
import type { Registry } from '../../src/registry/registry.ts';
import { PROJECT, REDIS_URL } from '../online/online-fixture.ts';

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = path.join(os.tmpdir(), `trove-mat-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function makeConfig(
  dir: string,
  keyPrefix: string,
  materialize: Record<string, unknown> = {},
): ResolvedConfig {
  const config = troveConfigSchema.parse({
    project: PROJECT,
    onlineStore: { redis: REDIS_URL, keyPrefix },
    offlineStore: { memoryLimit: '512MB', threads: 2 },
    materialize,
  });
  return {
    ...config,
    repoDir: dir,
    registryPath: path.join(dir, 'registry.json'),
    offlineStorePath: path.join(dir, 'offline'),
    dataDirs: [],
  };
}

export function makeContext(
  config: ResolvedConfig,
  registry: Registry,
  online: OnlineStore,
): MaterializeContext {
  return { config, registry, online, log: () => {} };
}

/**
 * Writes the rows of `select` (which must produce the view's canonical columns) into the view's
 * folder, one Parquet file per event date. `tag` keeps file names of separate calls apart.
 */
export async function writeOfflineRows(
  offlineStorePath: string,
  viewName: string,
  select: string,
  tag: string = randomUUID(),
): Promise<void> {
  const { instance, connection } = await openDuckDb({ threads: 2, access: 'unrestricted' });
  try {
    const folder = viewFolder(offlineStorePath, viewName);
    await mkdir(folder, { recursive: true });
    await connection.run(
      `COPY (SELECT *, strftime(event_timestamp, '%Y-%m-%d') AS date FROM (${select}))
       TO ${quoteString(folder)} (FORMAT parquet, PARTITION_BY (date), OVERWRITE_OR_IGNORE, FILENAME_PATTERN ${quoteString(`part-${tag}-{i}`)})`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// Every field and value of the given hashes as one string (key, field, value length, value, each
// followed by a NUL byte): one reply per batch instead of one per hash, several times faster to
// read than pipelined HGETALLs.
const DUMP_LUA = `local out = {}
for i = 1, #KEYS do
  local h = redis.call('HGETALL', KEYS[i])
  for j = 1, #h, 2 do
    out[#out + 1] = KEYS[i] .. '\\0' .. h[j] .. '\\0' .. string.len(h[j + 1]) .. '\\0' .. h[j + 1] .. '\\0'
  end
end
return table.concat(out)`;

/**
 * Every entity hash of a project (or every key matching `pattern`), field → value (hex), for
 * comparing whole online states.
 */
export async function dumpOnline(
  store: OnlineStore,
  pattern: string = store.keys.entityPattern,
): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  const client = store.client;
  // In a cluster, each master's keys, read from that master (a script's keys must share a slot).
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      // Batches of about 1000 keys keep each script short (a few ms) on a Redis others share.
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length === 0) continue;
      if (isCluster(client)) {
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.hgetallBuffer(key);
        const replies = (await pipeline.exec()) ?? [];
        keys.forEach((key, i) => {
          const [err, fields] = replies[i] ?? [];
          if (err) throw err;
          const hash = out.get(key) ?? {};
          for (const [field, value] of Object.entries(fields as Record<string, Buffer>))
            hash[field] = value.toString('hex');
          out.set(key, hash);
        });
        continue;
      }
      const dump = (await node.callBuffer('EVAL', DUMP_LUA, keys.length, ...keys)) as Buffer;
      const upTo = (from: number) => {
        const end = dump.indexOf(0, from);
        return { text: dump.toString('utf8', from, end), next: end + 1 };
      };
      for (let at = 0; at < dump.length; ) {
        const key = upTo(at);
        const field = upTo(key.next);
        const length = upTo(field.next);
        const end = length.next + Number(length.text);
        const hash = out.get(key.text) ?? {};
        hash[field.text] = dump.toString('hex', length.next, end);
        out.set(key.text, hash);
        at = end + 1;
      }
    } while (cursor !== '0');
  }
  return out;
}
