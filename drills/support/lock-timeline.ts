/**
 * Who held each view's materialization lock, and who wrote the view, from Redis's MONITOR stream of
 * a private redis-server: every command in the order Redis ran it, with the connection that sent it.
 * A process may use several connections (the lock on one, bulk writes on another), so each
 * connection is traced to the process that owns its socket (/proc), by a worker thread that polls
 * CLIENT LIST while the drill's own thread is busy reading MONITOR; the commands are replayed once
 * following stops. Replaying the lock commands (SET NX PX, the renew and release scripts, expiry)
 * gives the holder at every instant; a write to a view (its entity values, its newest event time)
 * sent by a process that did not hold the view's lock at that instant is two materializers writing
 * one view at once.
 */
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';

/**
 * The tracer thread (plain JavaScript, so it needs no loader): asks CLIENT LIST every 10 ms and
 * posts `{address, pid}` for each new connection whose socket a node process holds.
 */
const TRACER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const fs = require('node:fs');
const traced = new Set();
function inodeOf(port) {
  const local = '0100007F:' + port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\\n').slice(1)) {
    const f = line.trim().split(/\\s+/);
    if (f[1] === local) return f[9];
  }
}
function ownerOf(address) {
  const inode = inodeOf(Number(address.split(':').pop()));
  if (!inode) return;
  const target = 'socket:[' + inode + ']';
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync('/proc/' + pid + '/comm', 'utf8').trim() !== 'node') continue;
      for (const fd of fs.readdirSync('/proc/' + pid + '/fd')) {
        try { if (fs.readlinkSync('/proc/' + pid + '/fd/' + fd) === target) return Number(pid); } catch {}
      }
    } catch {}
  }
}
const socket = net.connect(workerData.port, '127.0.0.1');
socket.setEncoding('latin1');
let buffer = '';
const ask = () => socket.write('*2\\r\\n$6\\r\\nCLIENT\\r\\n$4\\r\\nLIST\\r\\n');
socket.on('connect', ask);
socket.on('error', () => {});
socket.on('data', (data) => {
  buffer += data;
  const nl = buffer.indexOf('\\r\\n');
  if (nl < 0) return;
  const length = Number(buffer.slice(1, nl));
  if (buffer.length < nl + 2 + length + 2) return;
  const list = buffer.slice(nl + 2, nl + 2 + length);
  buffer = '';
  for (const m of list.matchAll(/\\baddr=(\\S+)/g)) {
    if (traced.has(m[1])) continue;
    const pid = ownerOf(m[1]);
    if (pid !== undefined) {
      traced.add(m[1]);
      parentPort.postMessage({ address: m[1], pid });
    }
  }
  setTimeout(ask, 10);
});
`;

/** A command of interest, reduced to what the replay needs. */
interface Command {
  now: number;
  source: string;
  args: string[];
}

/** What the replay found for one view. */
export interface ViewLockStats {
  /**
   * Lock acquisitions that succeeded, and refusals because another process held it: a process
   * asking again and again while it waits (SET NX every so often) counts once, until it gets the
   * lock.
   */
  acquired: number;
  refused: number;
  /** Times the lock passed to a different process than its previous holder. */
  handovers: number;
  /** Write commands (batches of values, newest-event updates) and those sent by a non-holder. */
  writes: number;
  writesWithoutLock: number;
  /** Processes that wrote the view. */
  writers: Set<string>;
  /** The first few writes without the lock: writer, and the holder at that instant. */
  examples: string[];
}

interface Holder {
  client: string;
  token: string;
  expiresAt: number;
}

export class LockTimeline {
  readonly views = new Map<string, ViewLockStats>();
  /** Lock and write commands seen, for a sanity figure. */
  commands = 0;
  private readonly holders = new Map<string, Holder>();
  private readonly lastHolder = new Map<string, string>();
  /** Lock key and process of each refusal not yet ended by that process getting the lock. */
  private readonly waiting = new Set<string>();

  private readonly lockKey = /:lock:\{([^}]+)\}$/;

  /** Connection address → the process it belongs to (`pid:<n>`); untraced ones stay addresses. */
  private readonly owners = new Map<string, string>();
  private readonly commandsSeen: Command[] = [];
  private stopped = false;

  private constructor(
    private readonly monitor: Redis,
    private readonly tracer: Worker,
  ) {}

  /** Starts following the redis-server on `port` of 127.0.0.1. */
  static async start(port: number): Promise<LockTimeline> {
    const client = new Redis(port, '127.0.0.1');
    const monitor = await client.monitor();
    client.disconnect();
    const tracer = new Worker(TRACER, { eval: true, workerData: { port } });
    const timeline = new LockTimeline(monitor, tracer);
    tracer.on('message', (m: { address: string; pid: number }) =>
      timeline.owners.set(m.address, `pid:${m.pid}`),
    );
    monitor.on('monitor', (time: string, args: string[], source: string) => {
      const kept = keep(args);
      if (source !== 'lua' && kept)
        timeline.commandsSeen.push({ now: Number(time) * 1000, source, args: kept });
    });
    return timeline;
  }

  /** Stops following and replays what was seen; `views` is then complete. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Let the tracer report the last connections before it goes.
    await new Promise((r) => setTimeout(r, 100));
    this.monitor.disconnect();
    await this.tracer.terminate();
    for (const c of this.commandsSeen) this.onCommand(c.now, c.args, this.owners.get(c.source) ?? c.source);
    this.commands = this.commandsSeen.length;
  }

  private stats(scope: string): ViewLockStats {
    let s = this.views.get(scope);
    if (!s) {
      s = {
        acquired: 0,
        refused: 0,
        handovers: 0,
        writes: 0,
        writesWithoutLock: 0,
        writers: new Set(),
        examples: [],
      };
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
    const holder = this.holder(scope, now)?.client;
    if (holder !== client) {
      stats.writesWithoutLock++;
      if (stats.examples.length < 3) stats.examples.push(`${client} while ${holder ?? 'nobody'} held it`);
    }
  }

  private onCommand(now: number, args: string[], client: string): void {
    const name = args[0]?.toLowerCase();
    if (name === 'set' && args.length >= 3 && this.lockKey.test(args[1] ?? '')) {
      const [, key = '', token = ''] = args;
      const at = args.findIndex((a) => a.toUpperCase() === 'PX');
      const px = at > 0 ? Number(args[at + 1]) : Number.POSITIVE_INFINITY;
      const stats = this.stats(key);
      const asker = `${key}\0${client}`;
      if (this.holder(key, now)) {
        if (!this.waiting.has(asker)) stats.refused++;
        this.waiting.add(asker);
        return;
      }
      this.waiting.delete(asker);
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
    if (name === 'hsetnx') {
      // A materialization batch's insert of a value not set yet: key, field `<view>#<fingerprint>`.
      const entity = /^(.*:)o1:\{/.exec(args[1] ?? '');
      const view = args[2]?.split('#')[0];
      if (entity && view) this.write(entity[1] ?? '', view, client, now);
      return;
    }
    if (name !== 'eval' && name !== 'evalsha') return;
    // As kept by keep(): name, script kind, key count, first key, first three arguments.
    const script = args[1] ?? '';
    const numKeys = Number(args[2] ?? 0);
    const first = args[3] ?? '';
    const argv = args.slice(4);
    const lock = this.lockKey.exec(first);
    if (lock && numKeys === 1) {
      const h = this.holder(first, now);
      if (script.includes('PEXPIRE') && h && h.token === argv[0]) h.expiresAt = now + Number(argv[1] ?? 0);
      else if (script.includes("'DEL'") && h && h.token === argv[0]) this.holders.delete(first);
      else if (script.includes("'SET'") && h && h.token === argv[0]) {
        // The takeover of a lock whose holder died: the value it replaces, the new one, its expiry.
        const stats = this.stats(first);
        stats.acquired++;
        if (h.client !== client) stats.handovers++;
        this.waiting.delete(`${first}\0${client}`);
        this.lastHolder.set(first, client);
        this.holders.set(first, { client, token: argv[1] ?? '', expiresAt: now + Number(argv[2] ?? 0) });
      }
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

/**
 * The part of a command the replay needs, or undefined for commands it ignores: SET in full (it
 * is short), HSETNX as name, key and field, scripts as name, script kind, key count, first key and
 * first three arguments.
 */
function keep(args: string[]): string[] | undefined {
  const name = args[0]?.toLowerCase();
  if (name === 'set' || name === 'del' || name === 'unlink') return args;
  if (name === 'hsetnx') return args.slice(0, 3);
  if (name !== 'eval' && name !== 'evalsha') return undefined;
  const script = args[1] ?? '';
  const kind =
    name === 'evalsha'
      ? ''
      : script.includes('PEXPIRE')
        ? 'PEXPIRE'
        : script.includes("'DEL'")
          ? "'DEL'"
          : script.includes("'SET'")
            ? "'SET'"
            : 'other';
  const numKeys = Number(args[2] ?? 0);
  return [name, kind, String(numKeys), ...args.slice(3, 4), ...args.slice(3 + numKeys, 6 + numKeys)];
}
