import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { durationSchema } from '../definitions/duration.ts';
import { identifierSchema } from '../definitions/identifier.ts';
import { yamlLimitReason } from '../definitions/yaml-error.ts';
import { formatPath } from '../definitions/zod-problems.ts';
import { realPathInside, realPathOf } from '../duckdb/file-access.ts';
import { describeZodIssue } from '../zod-issue-message.ts';
import { namesRedisRegistry, parseRedisRegistry, type RedisRegistryLocation } from './registry-location.ts';

const apiKeySchema = z.strictObject({
  /** The key itself; prefer `keyEnv` so secrets stay out of the repo. */
  key: z.string().min(16).optional(),
  /** Name of an environment variable holding the key. */
  keyEnv: z.string().optional(),
  scopes: z.array(z.enum(['read', 'write', 'admin'])).min(1),
  name: z.string().optional(),
});

export const troveConfigSchema = z
  .strictObject({
    project: identifierSchema,
    /** Registry file, relative to the repo; or a Redis that holds it (config/registry-location.ts). */
    registry: z.string().default('.trove/registry.json').meta({
      description:
        "Where the registry is: a file relative to the repo (default .trove/registry.json), a Redis (redis://host:port[/db][?prefix=...], rediss:// for TLS), or online[?prefix=...] for the online store's Redis. Many processes on many machines share a Redis registry.",
    }),
    offlineStore: z
      .strictObject({
        /** Folder of the Parquet offline store, relative to the repo. */
        path: z.string().default('.trove/offline'),
        /** DuckDB memory limit, e.g. `2GB`. */
        memoryLimit: z.string().default('2GB'),
        threads: z.number().int().positive().optional(),
        /**
         * How long partition versions a compute replaced are kept, so training datasets built from
         * them can be rebuilt (docs/lineage.md); 30d when absent.
         */
        retention: durationSchema.optional().meta({
          description:
            'How long partition versions a compute replaced are kept for rebuilding training datasets: seconds, or a duration string such as 7d. Default 30d; 0 removes them at the next compute or gc.',
        }),
      })
      .prefault({}),
    onlineStore: z
      .strictObject({
        redis: z.string().default('redis://127.0.0.1:6379'),
        cluster: z.array(z.string()).optional(),
        /**
         * A master watched by Redis Sentinel: connections ask the sentinels where it is, and ask
         * again after a failover or a lost connection (docs/reliability.md).
         */
        sentinel: z
          .strictObject({
            /** Sentinels as `host:port`. */
            sentinels: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1),
            /** The master's name in the sentinels' configuration. */
            name: z.string().min(1),
            /** Password of the master and its replicas. */
            password: z.string().optional(),
            /** Password of the sentinels themselves, when they have one. */
            sentinelPassword: z.string().optional(),
          })
          .optional()
          .meta({
            description:
              'A master watched by Redis Sentinel: sentinels (host:port), the master name, and the passwords of the master and of the sentinels when they have one. Connections follow the master through failovers.',
          }),
        /**
         * Replicas that must confirm each batch of online writes (Redis WAIT) before it counts as
         * written; 0 (the default) acknowledges once the master has it (docs/reliability.md).
         */
        waitReplicas: z.number().int().min(0).default(0).meta({
          description:
            'Replicas that must confirm each batch of online writes (Redis WAIT) before it is acknowledged; a batch they do not confirm in waitReplicasTimeoutMs fails. 0 acknowledges once the master has it.',
        }),
        /** How long a write waits for those replicas before it fails. */
        waitReplicasTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(1000)
          .meta({ description: 'How long a write waits for waitReplicas replicas to confirm it.' }),
        keyPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_.:-]*$/)
          .default('trove'),
        connectTimeoutMs: z.number().int().positive().default(2000),
        commandTimeoutMs: z.number().int().positive().default(1000),
      })
      .prefault({}),
    materialize: z
      .strictObject({
        /** How far before a view's watermark each incremental run re-reads, for late rows. */
        lateArrival: durationSchema.default(3600),
        batchSize: z.number().int().positive().default(10_000),
        /** Seconds between incremental runs of the materializer worker. */
        interval: durationSchema.default(60),
      })
      .prefault({}),
    onDemand: z
      .strictObject({
        /** Longest an on-demand view's transform may run for one online request. */
        onlineTimeoutMs: z.number().int().positive().default(50),
        /** Longest a transform may run over one batch of a training dataset. */
        offlineTimeoutMs: z.number().int().positive().default(60_000),
      })
      .prefault({}),
    server: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(6566),
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024),
        maxEntities: z.number().int().positive().default(10_000),
        auth: z.strictObject({ keys: z.array(apiKeySchema).default([]) }).prefault({}),
      })
      .prefault({}),
  })
  .meta({ title: 'trove.yaml', description: 'Configuration of a Trove feature repo.' });

/** An API key's `key` field: messages about it never show the value, even an invalid one. */
function isApiKeyPath(path: readonly PropertyKey[]): boolean {
  return path.at(-1) === 'key';
}

export type TroveConfig = z.infer<typeof troveConfigSchema>;
export type ApiKeyConfig = z.infer<typeof apiKeySchema>;

/** A loaded config together with the absolute locations it implies. */
export interface ResolvedConfig extends TroveConfig {
  /** The repo folder, symbolic links resolved. */
  repoDir: string;
  /** The registry file; with `registryRedis`, only a description of where the registry is. */
  registryPath: string;
  /** Set when the registry is kept in Redis rather than in the file (docs/registry.md). */
  registryRedis?: RedisRegistryLocation;
  offlineStorePath: string;
  /** Folders outside the repo that sources may read: `TROVE_DATA_DIRS`, set by the operator. */
  dataDirs: string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Environment overrides for URLs and secrets, so a repo can be committed without them:
 * `REDIS_URL`, `TROVE_REDIS_CLUSTER` (a Redis Cluster's nodes, `host:port,host:port`),
 * `TROVE_REDIS_SENTINELS` (sentinels, `host:port,host:port`) with `TROVE_REDIS_SENTINEL_NAME`,
 * `TROVE_REDIS_KEY_PREFIX`, `TROVE_SERVER_HOST`, `TROVE_SERVER_PORT`, and `TROVE_API_KEYS`
 * (`key:scope+scope,key2:read`).
 */
export function applyEnvironment(config: TroveConfig, env: NodeJS.ProcessEnv): TroveConfig {
  const out = structuredClone(config);
  if (env.REDIS_URL) out.onlineStore.redis = env.REDIS_URL;
  const clusterNodes = (env.TROVE_REDIS_CLUSTER ?? '')
    .split(',')
    .map((node) => node.trim())
    .filter(Boolean);
  if (clusterNodes.length > 0) out.onlineStore.cluster = clusterNodes;
  const sentinels = (env.TROVE_REDIS_SENTINELS ?? '')
    .split(',')
    .map((node) => node.trim())
    .filter(Boolean);
  if (sentinels.length > 0) {
    const name = env.TROVE_REDIS_SENTINEL_NAME ?? out.onlineStore.sentinel?.name;
    if (!name)
      throw new ConfigError('TROVE_REDIS_SENTINELS: set TROVE_REDIS_SENTINEL_NAME to the master name too');
    out.onlineStore.sentinel = { ...out.onlineStore.sentinel, sentinels, name };
  }
  if (env.TROVE_REDIS_KEY_PREFIX) out.onlineStore.keyPrefix = env.TROVE_REDIS_KEY_PREFIX;
  if (env.TROVE_SERVER_HOST) out.server.host = env.TROVE_SERVER_HOST;
  if (env.TROVE_SERVER_PORT) out.server.port = Number(env.TROVE_SERVER_PORT);
  if (env.TROVE_API_KEYS) {
    for (const entry of env.TROVE_API_KEYS.split(',').filter(Boolean)) {
      const [key, scopes] = entry.split(':');
      if (!key || !scopes)
        throw new ConfigError('TROVE_API_KEYS: expected entries of the form key:read+write');
      const entryInput = { key, scopes: scopes.split('+') };
      const parsed = apiKeySchema.safeParse(entryInput);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const { path, message } = describeZodIssue(issue, entryInput, { isSecret: isApiKeyPath });
        throw new ConfigError(`TROVE_API_KEYS: ${formatPath(path) || '(entry)'}: ${message}`);
      }
      out.server.auth.keys.push(parsed.data);
    }
  }
  return out;
}

/** trove.yaml is a few lines; anything this large is not one. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * A path trove.yaml names, resolved against the repo. A repo may only name places inside itself
 * (after resolving symbolic links): a cloned repo must not make Trove read or write elsewhere. The
 * operator's environment may put the place anywhere.
 */
async function repoPath(
  dir: string,
  field: string,
  value: string,
  envName: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const fromEnv = env[envName];
  if (fromEnv) return path.resolve(fromEnv);
  if (value.includes('\0')) throw new ConfigError(`trove.yaml: field ${field}: contains a NUL character`);
  const resolved = path.resolve(dir, value);
  if (!(await realPathInside([dir], resolved))) {
    throw new ConfigError(
      `trove.yaml: field ${field}: ${value} leads outside the repo (after resolving symbolic links); a repo may only name paths inside itself — set ${envName} to keep it elsewhere`,
    );
  }
  return resolved;
}

/** `TROVE_DATA_DIRS`: absolute folders, separated by the platform's path delimiter (`:`). */
function dataDirsOf(env: NodeJS.ProcessEnv): string[] {
  const dirs = (env.TROVE_DATA_DIRS ?? '').split(path.delimiter).filter(Boolean);
  for (const d of dirs) {
    if (!path.isAbsolute(d)) throw new ConfigError(`TROVE_DATA_DIRS: ${d} is not an absolute path`);
  }
  return dirs.map((d) => path.resolve(d));
}

/** The Redis registry trove.yaml or `TROVE_REGISTRY_PATH` names, if either names one. */
function redisRegistryOf(config: TroveConfig, env: NodeJS.ProcessEnv): RedisRegistryLocation | undefined {
  const fromEnv = env.TROVE_REGISTRY_PATH;
  const value = fromEnv || config.registry;
  if (!namesRedisRegistry(value)) return undefined;
  const parsed = parseRedisRegistry(value, config.project, config.onlineStore);
  if ('problem' in parsed) {
    throw new ConfigError(
      `${fromEnv ? 'TROVE_REGISTRY_PATH' : 'trove.yaml: field registry'}: ${parsed.problem}`,
    );
  }
  return parsed;
}

/** Reads, validates and resolves `trove.yaml` of a repo. */
export async function loadConfig(
  repoDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedConfig> {
  const dir = await realPathOf(repoDir);
  const file = path.join(dir, 'trove.yaml');
  // A link to a file elsewhere would be read, and its content quoted in error messages.
  if (!(await realPathInside([dir], file))) {
    throw new ConfigError(`trove.yaml in ${dir} is a symbolic link that leads outside the repo`);
  }
  const size = await stat(file).then(
    (st) => st.size,
    () => 0,
  );
  if (size > MAX_CONFIG_BYTES) throw new ConfigError(`trove.yaml is larger than ${MAX_CONFIG_BYTES} bytes`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(
      `no trove.yaml in ${dir}: is --repo pointing at a feature repo? (trove init DIR makes one)`,
    );
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text, { uniqueKeys: true });
  } catch (err) {
    const message = (err as Error).message;
    throw new ConfigError(
      `trove.yaml: ${yamlLimitReason(message) ?? `YAML syntax error: ${message.split('\n')[0]}`}`,
    );
  }
  const input = raw ?? {};
  const parsed = troveConfigSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const { path, message } = describeZodIssue(issue, input, { isSecret: isApiKeyPath });
      return `trove.yaml: field ${formatPath(path) || '(top)'}: ${message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const config = applyEnvironment(parsed.data, env);
  const registryRedis = redisRegistryOf(config, env);
  return {
    ...config,
    repoDir: dir,
    registryPath: registryRedis
      ? registryRedis.description
      : await repoPath(dir, 'registry', config.registry, 'TROVE_REGISTRY_PATH', env),
    ...(registryRedis ? { registryRedis } : {}),
    offlineStorePath: await repoPath(
      dir,
      'offlineStore.path',
      config.offlineStore.path,
      'TROVE_OFFLINE_STORE_PATH',
      env,
    ),
    dataDirs: dataDirsOf(env),
  };
}
