/**
 * The registry kept in Redis, for processes on many machines (docs/registry.md). Keys, all under
 * one hash tag so a Redis Cluster keeps them in one slot and one script can touch them all:
 *
 *   {<prefix>}:current  the snapshot in force, the same canonical JSON text a registry file holds
 *   {<prefix>}:version  `<version>:<hash>` of that snapshot: what readers poll, a few bytes
 *   {<prefix>}:history  a hash, field `v<version>-<hash>` → every snapshot ever committed
 *
 * and the channel `{<prefix>}:changed`, on which each commit publishes its `<version>:<hash>`. A
 * commit is one Lua script: it checks the version in force and writes all three keys and the
 * message, or nothing.
 */
import type { RedisRegistryLocation } from '../config/registry-location.ts';
import type { RepoDefinitions } from '../definitions/repo-definitions.ts';
import { ConflictError, NotFoundError, TroveError, UnavailableError } from '../errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { createRegistryClient, type RegistryRedisClient } from './redis-registry-client.ts';
import {
  emptySnapshot,
  hashDefinitions,
  REGISTRY_FORMAT_VERSION,
  type RegistrySnapshot,
} from './registry.ts';
import { parseRegistrySnapshot } from './registry-file.ts';
import type { RegistryStore, RegistryVersionEntry } from './registry-store.ts';

/**
 * KEYS: current, version, history. ARGV: expected version, `<version>:<hash>` of the new
 * snapshot, its JSON, its history field, the channel, '1' to publish. The version in force is read
 * from the snapshot itself, so the poll key can never make a commit skip or repeat a version.
 */
const COMPARE_AND_SWAP = `
local current = redis.call('GET', KEYS[1])
local version = 0
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if not ok or type(decoded) ~= 'table' or type(decoded.version) ~= 'number' then
    return redis.error_reply('REGISTRY_CORRUPT ' .. KEYS[1] .. ' holds no readable registry')
  end
  version = decoded.version
end
if version ~= tonumber(ARGV[1]) then return {0, version} end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[2])
-- As with the file history, a snapshot already kept (the same version and hash) stays as it was.
redis.call('HSETNX', KEYS[3], ARGV[4], ARGV[3])
if ARGV[6] == '1' then redis.call('PUBLISH', ARGV[5], ARGV[2]) end
return {1, version}
`;

const HISTORY_FIELD = /^v(\d+)-([0-9a-f]{64})$/;

/** How often a watching store asks for the version when no message came: the bound on a lost one. */
const POLL_MS = 1000;

export interface RedisRegistryOptions {
  /** Milliseconds between polls of the version key (default 1000). */
  pollMs?: number;
  /** Whether commits publish on the channel (default true); off, readers learn of them by polling. */
  publish?: boolean;
}

type CasReply = [number, number];
interface CasClient {
  registryCompareAndSwap(
    current: string,
    version: string,
    history: string,
    expected: number,
    token: string,
    json: string,
    field: string,
    channel: string,
    publish: string,
  ): Promise<CasReply>;
}

export class RedisRegistryStore implements RegistryStore {
  readonly location: string;
  private readonly where: RedisRegistryLocation;
  private readonly project: string;
  private readonly options: Required<RedisRegistryOptions>;
  private readonly keys: { current: string; version: string; history: string; channel: string };
  private connection: RegistryRedisClient | undefined;
  private subscriber: RegistryRedisClient | undefined;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  /** The version key as last seen; undefined until the first poll or read. */
  private token: string | undefined;
  private readonly listeners = new Set<() => void>();
  /** The connection's last error: what a command that gave up after a failed reconnect was waiting on. */
  private connectionError: string | undefined;

  constructor(where: RedisRegistryLocation, project: string, options: RedisRegistryOptions = {}) {
    this.where = where;
    this.location = `registry in ${where.description}`;
    this.project = project;
    this.options = { pollMs: options.pollMs ?? POLL_MS, publish: options.publish ?? true };
    const tag = `{${where.prefix}}`;
    this.keys = {
      current: `${tag}:current`,
      version: `${tag}:version`,
      history: `${tag}:history`,
      channel: `${tag}:changed`,
    };
  }

  private client(): RegistryRedisClient {
    if (!this.connection) {
      this.connection = createRegistryClient(this.where);
      this.connection.on('error', (err: Error) => {
        this.connectionError = err.message;
      });
      this.connection.on('ready', () => {
        this.connectionError = undefined;
      });
      this.connection.defineCommand('registryCompareAndSwap', { numberOfKeys: 3, lua: COMPARE_AND_SWAP });
    }
    return this.connection;
  }

  /** Runs a command; a Redis failure becomes an UnavailableError naming the registry. */
  private async run<T>(what: string, command: (client: RegistryRedisClient) => Promise<T>): Promise<T> {
    try {
      return await command(this.client());
    } catch (err) {
      if (err instanceof TroveError) throw err;
      let message = err instanceof Error ? err.message : String(err);
      // ioredis says only that it gave up; why it could not connect is the useful part.
      if (/max retries per request/i.test(message) && this.connectionError) message = this.connectionError;
      if (message.startsWith('REGISTRY_CORRUPT')) {
        throw new TroveError('REGISTRY_CORRUPT', `the ${this.location}: ${message.slice(17)}`, 503);
      }
      throw new UnavailableError(`the ${this.location} cannot be ${what}: ${message}`);
    }
  }

  async read(): Promise<RegistrySnapshot> {
    const text = await this.run('read', (c) => c.get(this.keys.current));
    const snapshot = text === null ? emptySnapshot(this.project) : parseRegistrySnapshot(text, this.location);
    this.token ??= tokenOf(snapshot);
    return snapshot;
  }

  async compareAndSwap(expectedVersion: number, objects: RepoDefinitions): Promise<RegistrySnapshot> {
    const next: RegistrySnapshot = {
      formatVersion: REGISTRY_FORMAT_VERSION,
      project: this.project,
      version: expectedVersion + 1,
      hash: hashDefinitions(objects),
      appliedAt: new Date().toISOString(),
      objects,
    };
    const { current, version, history, channel } = this.keys;
    const [swapped, found] = await this.run('written', (c) =>
      (c as unknown as CasClient).registryCompareAndSwap(
        current,
        version,
        history,
        expectedVersion,
        tokenOf(next),
        `${canonicalJson(next, 2)}\n`,
        `v${next.version}-${next.hash}`,
        channel,
        this.options.publish ? '1' : '0',
      ),
    );
    if (swapped !== 1) {
      throw new ConflictError(
        'REGISTRY_CHANGED',
        `the registry changed while this apply ran (version ${expectedVersion} → ${found}); nothing was applied — run trove plan and apply again`,
      );
    }
    return next;
  }

  async history(): Promise<RegistryVersionEntry[]> {
    const fields = await this.run('read', (c) => c.hkeys(this.keys.history));
    return fields
      .flatMap((f) => {
        const m = HISTORY_FIELD.exec(f);
        return m ? [{ version: Number(m[1]), hash: m[2]! }] : [];
      })
      .sort((a, b) => a.version - b.version || a.hash.localeCompare(b.hash));
  }

  async readVersion(version: number, hash?: string): Promise<RegistrySnapshot> {
    const all = await this.history();
    const found = all.filter((h) => h.version === version && (hash === undefined || h.hash === hash));
    if (found.length === 0) {
      const known = [...new Set(all.map((h) => h.version))];
      throw new NotFoundError(
        'UNKNOWN_REGISTRY_VERSION',
        `registry version ${version}${hash ? ` with hash ${hash.slice(0, 12)}…` : ''} is not in the history of the ${this.location}${
          known.length > 0 ? ` (it holds versions ${known.join(', ')})` : ' (it is empty)'
        }`,
      );
    }
    const fields = found.map((h) => `v${h.version}-${h.hash}`);
    const texts = await this.run('read', (c) => c.hmget(this.keys.history, ...fields));
    const snapshots = texts.flatMap((text, i) => {
      if (text === null) return [];
      const snapshot = parseRegistrySnapshot(text, `${this.location}, history ${fields[i]}`);
      if (
        hashDefinitions(snapshot.objects) !== snapshot.hash ||
        `v${snapshot.version}-${snapshot.hash}` !== fields[i]
      ) {
        throw new TroveError(
          'REGISTRY_CORRUPT',
          `history entry ${fields[i]} of the ${this.location} does not hold the snapshot its name says (edited by hand?)`,
          503,
        );
      }
      return [snapshot];
    });
    snapshots.sort((a, b) => (a.appliedAt ?? '').localeCompare(b.appliedAt ?? ''));
    const newest = snapshots.at(-1);
    // A field listed a moment ago and gone now: the history was removed meanwhile.
    if (!newest)
      throw new NotFoundError(
        'UNKNOWN_REGISTRY_VERSION',
        `registry version ${version} is no longer in the history of the ${this.location}`,
      );
    return newest;
  }

  async keepVersion(snapshot: RegistrySnapshot): Promise<void> {
    if (snapshot.version === 0) return;
    const field = `v${snapshot.version}-${snapshot.hash}`;
    await this.run('written', (c) => c.hsetnx(this.keys.history, field, `${canonicalJson(snapshot, 2)}\n`));
  }

  /**
   * The version key as the subscription or the poll last reported it. Watching starts with the
   * first call; until the first answer the token is 'unknown' (and the first read sets it).
   */
  changeToken(): string {
    this.watch();
    return this.token ?? 'unknown';
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    this.watch();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Pub/sub for speed, a poll of the version key for messages lost (a dropped connection, a failover). */
  private watch(): void {
    if (this.poller) return;
    this.poller = setInterval(() => void this.poll(), this.options.pollMs);
    this.poller.unref();
    void this.poll();
    const subscriber = createRegistryClient(this.where);
    subscriber.on('error', () => {});
    subscriber.on('message', (_channel: string, message: string) => this.saw(message));
    // After a reconnect ioredis subscribes again; what was published meanwhile only a poll finds.
    subscriber.on('ready', () => void this.poll());
    subscriber.subscribe(this.keys.channel).catch(() => undefined);
    this.subscriber = subscriber;
  }

  private async poll(): Promise<void> {
    if (this.polling || !this.poller) return;
    this.polling = true;
    try {
      this.saw((await this.client().get(this.keys.version)) ?? 'none');
    } catch {
      // The next poll tries again; readers hear of an unreachable Redis from their own reads.
    } finally {
      this.polling = false;
    }
  }

  private saw(token: string): void {
    if (token === this.token) return;
    const first = this.token === undefined;
    this.token = token;
    if (!first) for (const l of this.listeners) l();
  }

  /** Stops watching and disconnects; a later call connects again. */
  async close(): Promise<void> {
    this.listeners.clear();
    clearInterval(this.poller);
    this.poller = undefined;
    const connections = [this.subscriber, this.connection];
    this.subscriber = undefined;
    this.connection = undefined;
    for (const c of connections) c?.disconnect();
  }
}

/** What the version key holds for a snapshot; 'none' for the empty registry nothing was applied to. */
function tokenOf(snapshot: RegistrySnapshot): string {
  return snapshot.version === 0 ? 'none' : `${snapshot.version}:${snapshot.hash}`;
}
