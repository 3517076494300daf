/**
 * The online store's own connection to a standalone Redis, for its two hot paths (reads and
 * newest-wins writes). A general client spends more per command than Redis does on it: a command
 * object, an argument array, a string and a socket write each. Here commands are encoded straight
 * into one buffer, what one turn of the event loop issues leaves in a few writes, and a batch
 * of commands waits on one promise.
 *
 * Failure behaviour is part of the contract: every command settles within `commandTimeoutMs`
 * (queued ones included); while Redis is unreachable commands fail at once rather than queue; a
 * connection whose oldest command has gone unanswered for twice the timeout is dropped and the next
 * command reconnects, so a half-open or stalled connection cannot hold memory or requests forever.
 */
import net from 'node:net';
import tls from 'node:tls';
import { RespParser } from './resp-parser.ts';
import { RespError, type RespReply } from './resp-reply.ts';
import { RespWriter } from './resp-writer.ts';

export interface RespConnectionOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` for TLS. */
  url: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Commands awaiting a reply past which new ones fail at once: bounds memory when Redis stalls. */
  maxPending?: number;
  /**
   * Where to connect, asked before every connect (a Sentinel-watched master moves on failover);
   * the URL's host and port are then unused, its credentials, database and scheme still apply.
   */
  address?: () => Promise<RespAddress>;
  /**
   * Check with ROLE on every new connection that the node is a master, and drop the connection
   * when a command is refused with READONLY (a master demoted by a failover), so the next command
   * connects to wherever `address` says the master now is.
   */
  requireMaster?: boolean;
}

export interface RespAddress {
  host: string;
  port: number;
}

/** Why a command did not get its reply: the connection failed, timed out or was closed. */
export class RespConnectionError extends Error {
  override name = 'RespConnectionError';
}

interface Pending {
  /** Replies this entry waits for: a batch sent together shares one entry. */
  count: number;
  /** The batch's replies so far; null for a single command, resolved with its reply alone. */
  replies: RespReply[] | null;
  deadline: number;
  settled: boolean;
  resolve(reply: RespReply | RespReply[]): void;
  reject(err: Error): void;
}

type State = 'idle' | 'connecting' | 'ready' | 'closed';

/** Pause after a failed connect during which commands fail at once instead of reconnecting. */
const RECONNECT_PAUSE_MS = 100;
const DEFAULT_MAX_PENDING = 100_000;
/**
 * Commands written at once without waiting for the end of the turn. Many concurrent callers
 * otherwise move in lock step: all their replies arrive in one read, all their next commands
 * leave in one write, and Redis waits while the client works and the other way round. Writing
 * every few commands lets Redis start on the first while later ones are still being encoded
 * (measured at 16 concurrent 1-entity reads: 1.5× the throughput of one write per turn, with
 * fewer writes than one per command; see docs/online-store.md).
 */
const FLUSH_AFTER_COMMANDS = 8;

/** Whether a URL is one this connection can serve (the general client handles the rest). */
export function isRespUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

export class RespConnection {
  private state: State = 'idle';
  private socket: net.Socket | undefined;
  private readonly writer = new RespWriter();
  private readonly parser: RespParser;
  private queue: Pending[] = [];
  private head = 0;
  /** Entries of `queue` before this index have been checked for expiry already. */
  private expiredUpTo = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushScheduled = false;
  /** Commands encoded since the last write. */
  private unflushed = 0;
  /** Handshake replies (AUTH, SELECT, ROLE) still to come on a new connection. */
  private handshakeLeft = 0;
  /** Whether the handshake's last reply is ROLE's, to be checked for a master. */
  private roleCheck = false;
  private lastFailure: { at: number; error: RespConnectionError } | undefined;
  private readonly url: URL;
  private readonly maxPending: number;
  /** Socket writes of commands so far: each is one round trip for what it carried. */
  writes = 0;

  constructor(private readonly options: RespConnectionOptions) {
    this.url = new URL(options.url);
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.parser = new RespParser((reply) => this.onReply(reply));
  }

  get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs;
  }

  /** Commands sent and not yet answered (timed-out ones included until their reply arrives). */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Sends one command; resolves to its reply, rejects on an error reply or a failed connection. */
  send(args: readonly (string | Uint8Array)[]): Promise<RespReply> {
    return this.enqueue(1, true, (w) => w.command(args)).then((reply) => {
      if (reply instanceof RespError) throw reply;
      return reply;
    });
  }

  /**
   * Sends `count` commands that `encode` writes, in one go; resolves to their replies in order,
   * error replies as RespError values. Rejects only when the connection fails or no reply came
   * within `timeoutMs` (default: the command timeout). Commands after a batch wait for it: give a
   * connection carrying long batches no latency-sensitive commands.
   */
  batch(
    count: number,
    encode: (writer: RespWriter) => void,
    timeoutMs = this.options.commandTimeoutMs,
  ): Promise<RespReply[]> {
    if (count === 0) return Promise.resolve([]);
    return this.enqueue(count, false, encode, timeoutMs) as Promise<RespReply[]>;
  }

  /**
   * Sends one command that `encode` writes; resolves to its reply (an error reply as a RespError
   * value). The hot read path's form: no argument array is built.
   */
  one(encode: (writer: RespWriter) => void): Promise<RespReply> {
    return this.enqueue(1, true, encode) as Promise<RespReply>;
  }

  /** `single`: resolve to the one reply itself rather than an array of replies. */
  private enqueue(
    count: number,
    single: boolean,
    encode: (writer: RespWriter) => void,
    timeoutMs = this.options.commandTimeoutMs,
  ): Promise<RespReply | RespReply[]> {
    if (this.state === 'closed') return Promise.reject(new RespConnectionError('the connection is closed'));
    if (this.state === 'idle') {
      const failure = this.lastFailure;
      if (failure && Date.now() - failure.at < RECONNECT_PAUSE_MS) return Promise.reject(failure.error);
      this.connect();
    }
    if (this.pending >= this.maxPending)
      return Promise.reject(
        new RespConnectionError(`${this.pending} commands await a reply already; Redis is not keeping up`),
      );
    return new Promise((resolve, reject) => {
      const before = this.writer.length;
      try {
        encode(this.writer);
      } catch (err) {
        // Half a command on the wire would desynchronize every reply after it.
        this.writer.truncate(before);
        throw err;
      }
      this.queue.push({
        count,
        replies: single ? null : [],
        deadline: Date.now() + timeoutMs,
        settled: false,
        resolve,
        reject,
      });
      if (this.timer === undefined) this.armTimer(timeoutMs);
      if (this.state !== 'ready') return;
      this.unflushed += count;
      if (this.unflushed >= FLUSH_AFTER_COMMANDS) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        process.nextTick(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    this.unflushed = 0;
    if (this.state !== 'ready' || this.writer.length === 0 || !this.socket) return;
    this.writes++;
    this.socket.write(this.writer.take());
  };

  private connect(): void {
    this.state = 'connecting';
    const resolve = this.options.address;
    if (!resolve) {
      this.open(this.url.hostname.replace(/^\[(.*)\]$/, '$1'), Number(this.url.port || 6379));
      return;
    }
    resolve().then(
      ({ host, port }) => {
        if (this.state === 'connecting' && !this.socket) this.open(host, port);
      },
      (err: unknown) => {
        if (this.state !== 'connecting' || this.socket) return;
        const error = new RespConnectionError(
          `finding the Redis master failed: ${err instanceof Error ? err.message : String(err)}`,
        );
        this.state = 'idle';
        this.lastFailure = { at: Date.now(), error };
        this.failAll(error);
      },
    );
  }

  private open(host: string, port: number): void {
    const socket =
      this.url.protocol === 'rediss:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
        : net.connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    const connectTimer = setTimeout(() => {
      socket.destroy(
        new RespConnectionError(
          `connecting to ${host}:${port} timed out after ${this.options.connectTimeoutMs} ms`,
        ),
      );
    }, this.options.connectTimeoutMs);
    socket.once(this.url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      if (this.socket !== socket) return;
      this.state = 'ready';
      const handshake = new RespWriter();
      this.handshakeLeft = 0;
      const password = decodeURIComponent(this.url.password);
      const user = decodeURIComponent(this.url.username);
      if (password) {
        handshake.command(user ? ['AUTH', user, password] : ['AUTH', password]);
        this.handshakeLeft++;
      }
      const db = this.url.pathname.replace(/^\//, '');
      if (db && db !== '0') {
        handshake.command(['SELECT', db]);
        this.handshakeLeft++;
      }
      this.roleCheck = this.options.requireMaster === true;
      if (this.roleCheck) {
        handshake.command(['ROLE']);
        this.handshakeLeft++;
      }
      if (handshake.length > 0) socket.write(handshake.take());
      this.flush();
    });
    socket.on('data', (data: Buffer) => {
      if (this.socket !== socket) return;
      try {
        this.parser.push(data);
      } catch (err) {
        this.lost(socket, err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(connectTimer);
      this.lost(socket, err);
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      this.lost(socket, new Error('the connection closed'));
    });
  }

  /** The socket failed or closed: every unanswered command fails, the next one reconnects. */
  private lost(socket: net.Socket, cause: Error): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    socket.destroy();
    const error =
      cause instanceof RespConnectionError
        ? cause
        : new RespConnectionError(`connection to Redis lost: ${cause.message}`);
    if (this.state !== 'closed') {
      this.state = 'idle';
      this.lastFailure = { at: Date.now(), error };
    }
    this.failAll(error);
  }

  private failAll(error: Error): void {
    const queue = this.queue;
    const head = this.head;
    this.queue = [];
    this.head = 0;
    this.expiredUpTo = 0;
    this.writer.clear();
    this.parser.reset();
    this.handshakeLeft = 0;
    for (let i = head; i < queue.length; i++) {
      const p = queue[i]!;
      if (!p.settled) {
        p.settled = true;
        p.reject(error);
      }
    }
  }

  private onReply(reply: RespReply): void {
    const socket = this.socket;
    if (!socket) return;
    if (this.handshakeLeft > 0) {
      this.handshakeLeft--;
      if (reply instanceof RespError)
        this.lost(socket, new RespConnectionError(`Redis refused the connection: ${reply.message}`));
      else if (this.handshakeLeft === 0 && this.roleCheck) {
        const role = Array.isArray(reply) ? String(reply[0]) : '';
        if (role !== 'master')
          this.lost(
            socket,
            new RespConnectionError(`the node reached is a ${role || 'node'}, not the master`),
          );
      }
      return;
    }
    // A master demoted by a failover refuses writes: answer this one, then reconnect to the new one.
    if (this.options.requireMaster && reply instanceof RespError && reply.message.startsWith('READONLY'))
      setImmediate(() => {
        if (this.socket === socket) socket.destroy(new RespConnectionError(reply.message));
      });
    const p = this.queue[this.head];
    if (!p) {
      this.lost(socket, new RespConnectionError('Redis sent a reply nothing asked for'));
      return;
    }
    if (p.replies === null) {
      this.dequeue();
      if (!p.settled) {
        p.settled = true;
        p.resolve(reply);
      }
      return;
    }
    p.replies.push(reply);
    if (p.replies.length < p.count) return;
    this.dequeue();
    if (!p.settled) {
      p.settled = true;
      p.resolve(p.replies);
    }
  }

  private dequeue(): void {
    this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.expiredUpTo = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.expiredUpTo = Math.max(0, this.expiredUpTo - this.head);
      this.head = 0;
    }
  }

  private armTimer(ms: number): void {
    this.timer = setTimeout(this.expire, Math.max(1, ms));
    this.timer.unref();
  }

  /** Fails commands past their deadline; drops a connection whose oldest command is long overdue. */
  private readonly expire = (): void => {
    this.timer = undefined;
    if (this.pending === 0) return;
    const now = Date.now();
    let i = Math.max(this.head, this.expiredUpTo);
    for (; i < this.queue.length; i++) {
      const p = this.queue[i]!;
      if (p.deadline > now) break;
      if (!p.settled) {
        p.settled = true;
        p.reject(
          new RespConnectionError(
            `Redis did not answer in time (${this.options.commandTimeoutMs} ms per command)`,
          ),
        );
      }
    }
    this.expiredUpTo = i;
    const oldest = this.queue[this.head]!;
    if (now - oldest.deadline >= this.options.commandTimeoutMs && this.socket) {
      this.socket.destroy(
        new RespConnectionError(`Redis did not answer for ${2 * this.options.commandTimeoutMs} ms`),
      );
      return;
    }
    const next = this.queue[i];
    // Either the next deadline, or the moment the oldest becomes long overdue.
    const wait = next ? next.deadline - now : oldest.deadline + this.options.commandTimeoutMs - now;
    this.armTimer(wait);
  };

  /** Waits for answers to what was sent (up to the command timeout), then closes the socket. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const deadline = Date.now() + this.options.commandTimeoutMs;
    while (this.pending > 0 && Date.now() < deadline && this.state === 'ready')
      await new Promise((r) => setTimeout(r, 5));
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.failAll(new RespConnectionError('the connection is closed'));
    socket?.end();
    socket?.destroy();
  }
}
