/**
 * Who held each view's materialization lock, and who wrote the view, from Redis's MONITOR stream of
 * a private redis-server: every command in the order Redis ran it, with the connection that sent it.
 * A process may use several connections (the lock on one, bulk writes on another), so each
 * connection is traced to the process that owns its socket (/proc). Replaying the lock commands
 * (SET NX PX, the renew and release scripts, expiry) gives the holder at every instant; a write to
 * a view (its entity values, its newest event time) sent by a process that did not hold the view's
 * lock at that instant is two materializers writing one view at once.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Redis } from 'ioredis';

/** The inode of the TCP socket bound to 127.0.0.1:`port`, from /proc/net/tcp. */
function socketInode(port: number): string | undefined {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local) return fields[9];
  }
  return undefined;
}

/** The pid among `pids` that holds the socket of a client connection `127.0.0.1:<port>`. */
function ownerOf(address: string, pids: readonly number[]): number | undefined {
  const inode = socketInode(Number(address.split(':').pop()));
  if (inode === undefined) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** What the replay found for one view. */
export interface ViewLockStats {
  /** Lock acquisitions that succeeded, and those refused because another process held it. */
  acquired: number;
  refused: number;
  /** Times the lock passed to a different process than its previous holder. */
  handovers: number;
  /** Write commands (batches of values, newest-event updates) and those sent by a non-holder. */
  writes: number;
  writesWithoutLock: number;
  /** Processes that wrote the view. */
  writers: Set<string>;
}

interface Holder {
  client: string;
  token: string;
  expiresAt: number;
}

export class LockTimeline {
  readonly views = new Map<string, ViewLockStats>();
  /** Commands seen, for a sanity figure. */
  commands = 0;
  private readonly holders = new Map<string, Holder>();
  private readonly lastHolder = new Map<string, string>();

  private readonly lockKey = /:lock:\{([^}]+)\}$/;

  /** Connection address → the process it belongs to (`pid:<n>`, or the address if unknown). */
  private readonly owners = new Map<string, string>();

  private tracer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly monitor: Redis,
    private readonly pids: () => readonly number[],
    private readonly lister: Redis,
  ) {}

  private async traceConnections(): Promise<void> {
    const list = String(await this.lister.call('CLIENT', 'LIST').catch(() => ''));
    for (const match of list.matchAll(/\baddr=(\S+)/g)) {
      const address = match[1] ?? '';
      if (this.owners.has(address)) continue;
      const pid = ownerOf(address, this.pids());
      if (pid !== undefined) this.owners.set(address, `pid:${pid}`);
    }
  }

  /** The process behind a connection; the address itself when it could not be traced. */
  private owner(address: string): string {
    const owner = this.owners.get(address);
    if (owner !== undefined) return owner;
    const pid = ownerOf(address, this.pids());
    return pid === undefined ? address : `pid:${pid}`;
  }

  /**
   * Starts following `redisUrl`. Views are told apart by key root (`<prefix>:<project>:`) and
   * name; `pids` lists the processes that may be connected (a connection none of them owns counts
   * as a process of its own).
   */
  static async start(redisUrl: string, pids: () => readonly number[]): Promise<LockTimeline> {
    const client = new Redis(redisUrl);
    const monitor = await client.monitor();
    client.disconnect();
    const timeline = new LockTimeline(monitor, pids, new Redis(redisUrl));
    // MONITOR events may be read well after the command ran, when its process has gone: connections
    // are traced to their processes as soon as they appear in CLIENT LIST instead.
    timeline.tracer = setInterval(() => void timeline.traceConnections(), 20);
    monitor.on('monitor', (time: string, args: string[], source: string) =>
      timeline.onCommand(Number(time) * 1000, args, source),
    );
    return timeline;
  }

  async stop(): Promise<void> {
    clearInterval(this.tracer);
    this.monitor.disconnect();
    this.lister.disconnect();
  }

  private stats(scope: string): ViewLockStats {
    let s = this.views.get(scope);
    if (!s) {
      s = { acquired: 0, refused: 0, handovers: 0, writes: 0, writesWithoutLock: 0, writers: new Set() };
      this.views.set(scope, s);
    }
    return s;
  }

  private holder(lock: string, now: number): Holder | undefined {
    const h = this.holders.get(lock);
    return h && h.expiresAt > now ? h : undefined;
  }

  /** A write to `view` under `root` by `client`. */
  private write(root: string, view: string, client: string, now: number): void {
    const scope = `${root}lock:{${view}}`;
    const stats = this.stats(scope);
    stats.writes++;
    stats.writers.add(client);
    if (this.holder(scope, now)?.client !== client) stats.writesWithoutLock++;
  }

  private onCommand(now: number, args: string[], source: string): void {
    if (source === 'lua') return;
    const client = this.owner(source);
    this.commands++;
    const name = args[0]?.toLowerCase();
    if (name === 'set' && args.length >= 3 && this.lockKey.test(args[1] ?? '')) {
      const [, key = '', token = ''] = args;
      const at = args.findIndex((a) => a.toUpperCase() === 'PX');
      const px = at > 0 ? Number(args[at + 1]) : Number.POSITIVE_INFINITY;
      const stats = this.stats(key);
      if (this.holder(key, now)) {
        stats.refused++;
        return;
      }
      stats.acquired++;
      if (this.lastHolder.has(key) && this.lastHolder.get(key) !== client) stats.handovers++;
      this.lastHolder.set(key, client);
      this.holders.set(key, { client, token, expiresAt: now + px });
      return;
    }
    if (name === 'del' || name === 'unlink') {
      for (const key of args.slice(1)) this.holders.delete(key);
      return;
    }
    if (name !== 'eval' && name !== 'evalsha') return;
    const script = name === 'eval' ? (args[1] ?? '') : '';
    const numKeys = Number(args[2] ?? 0);
    const keys = args.slice(3, 3 + numKeys);
    const argv = args.slice(3 + numKeys);
    const first = keys[0] ?? '';
    const lock = this.lockKey.exec(first);
    if (lock && numKeys === 1) {
      const h = this.holder(first, now);
      if (script.includes('PEXPIRE') && h && h.token === argv[0]) h.expiresAt = now + Number(argv[1] ?? 0);
      else if (script.includes("'DEL'") && h && h.token === argv[0]) this.holders.delete(first);
      return;
    }
    // The newest event time of a view (a hash per view: `<root>wm:{<view>}`).
    const wm = /^(.*:)wm:\{([^}]+)\}$/.exec(first);
    if (wm && numKeys === 1) {
      this.write(wm[1] ?? '', wm[2] ?? '', client, now);
      return;
    }
    // A batch of values: entity hashes `<root>o1:{…}`, fields `<view>#<fingerprint>`.
    const entity = /^(.*:)o1:\{/.exec(first);
    const view = argv[0]?.split('#')[0];
    if (entity && view) this.write(entity[1] ?? '', view, client, now);
  }
}
