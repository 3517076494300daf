/**
 * Where the registry lives, from `registry` in trove.yaml or `TROVE_REGISTRY_PATH`: a file (the
 * default), a Redis named by URL (`redis://host:port[/db][?prefix=...]`, `rediss://` for TLS), or
 * the online store's Redis (`online[?prefix=...]`). Layout and guarantees: docs/registry.md.
 */
import type { TroveConfig } from './trove-config.ts';

/** How to reach the Redis that holds a registry, and where in it; resolved when the config loads. */
export interface RedisRegistryLocation {
  /** A standalone Redis's URL (with db and credentials); unused with `cluster` or `sentinel`. */
  url: string;
  cluster?: string[];
  sentinel?: TroveConfig['onlineStore']['sentinel'];
  /** Every key is `{<prefix>}:<name>`: the hash tag keeps them in one slot of a Redis Cluster. */
  prefix: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** How messages name it: the URL without credentials, and the prefix. */
  description: string;
}

const PREFIX = /^[A-Za-z0-9_.:-]{1,200}$/;
const USAGE =
  'expected redis://host:port[/db][?prefix=...], rediss://..., online[?prefix=...] or a file path';

/** Does the setting name a Redis registry rather than a file? */
export function namesRedisRegistry(value: string): boolean {
  return /^rediss?:/i.test(value) || value === 'online' || value.startsWith('online?');
}

function prefixOf(params: URLSearchParams, project: string): string | { problem: string } {
  for (const name of params.keys()) {
    if (name !== 'prefix') return { problem: `unknown option ${JSON.stringify(name)} (only prefix is read)` };
  }
  const prefix = params.get('prefix') ?? `trove-registry:${project}`;
  if (!PREFIX.test(prefix)) {
    return { problem: `prefix ${JSON.stringify(prefix)} must be 1-200 of A-Z a-z 0-9 _ . : -` };
  }
  return prefix;
}

/**
 * The Redis registry a setting names, or the reason it names none that can be reached. `online`
 * takes the online store's connection (URL, cluster or sentinels, timeouts) as the environment
 * left it.
 */
export function parseRedisRegistry(
  value: string,
  project: string,
  online: TroveConfig['onlineStore'],
): RedisRegistryLocation | { problem: string } {
  const timeouts = { connectTimeoutMs: online.connectTimeoutMs, commandTimeoutMs: online.commandTimeoutMs };
  if (value === 'online' || value.startsWith('online?')) {
    const prefix = prefixOf(new URLSearchParams(value.slice('online'.length)), project);
    if (typeof prefix !== 'string') return prefix;
    const where = online.cluster?.length
      ? `Redis cluster ${online.cluster.join(',')}`
      : online.sentinel
        ? `Redis master ${online.sentinel.name}`
        : describeUrl(online.redis);
    return {
      url: online.redis,
      ...(online.cluster?.length ? { cluster: online.cluster } : {}),
      ...(online.sentinel && !online.cluster?.length ? { sentinel: online.sentinel } : {}),
      prefix,
      ...timeouts,
      description: `${where} (prefix ${prefix})`,
    };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `${describeUrl(value)} is not a valid URL; ${USAGE}` };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return { problem: `scheme ${url.protocol} is not redis: or rediss:; ${USAGE}` };
  }
  if (!url.hostname) return { problem: `${describeUrl(value)} names no host; ${USAGE}` };
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^(?:[0-9]|[1-9][0-9]{1,3})$/.test(db)) {
    return { problem: `database ${JSON.stringify(db)} is not a number (redis://host:port/0); ${USAGE}` };
  }
  if (url.hash) return { problem: `a Redis URL has no #fragment; ${USAGE}` };
  const prefix = prefixOf(url.searchParams, project);
  if (typeof prefix !== 'string') return prefix;
  const bare = new URL(url.href);
  bare.search = '';
  return { url: bare.href, prefix, ...timeouts, description: `${describeUrl(bare.href)} (prefix ${prefix})` };
}

/** A Redis URL without user name or password, for messages. */
export function describeUrl(value: string): string {
  try {
    const url = new URL(value);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.href;
  } catch {
    // Credentials may sit before an `@` even in text that does not parse.
    return value.replace(/\/\/[^@/]*@/, '//');
  }
}
