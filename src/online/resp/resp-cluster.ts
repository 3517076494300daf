/**
 * The online store's own connections to a Redis Cluster, for reads: one RespConnection per master,
 * a slot map from CLUSTER SLOTS, and a read's commands grouped by the master owning their key's
 * slot, each group sent as one batch, so a read costs one round trip per master it touches. The
 * general cluster client spends about three times as much per read (docs/online-store.md).
 *
 * When slots move (a failover, a resharding): a command answered `MOVED` is sent to the node named
 * and the slot map reloaded; one answered `ASK` is sent there once, after ASKING. A connection that
 * fails (a master killed or stalled) fails the commands on it, as on a standalone Redis, and
 * reloads the slot map, so reads resume once a replica has taken over, without a restart.
 */
import { keySlot } from '../key-slot.ts';
import { RespConnection, RespConnectionError } from './resp-connection.ts';
import { RespError, type RespReply } from './resp-reply.ts';
import type { RespWriter } from './resp-writer.ts';

export interface RespClusterOptions {
  /** Nodes to learn the cluster from: `host:port` or `redis://host:port`. */
  nodes: readonly string[];
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

const SLOTS = 16384;
/** Least time between two reloads of the slot map, so a failing node cannot cause a storm. */
const REFRESH_PAUSE_MS = 100;
/** Redirections followed for one command before its read fails. */
const MAX_REDIRECTS = 3;
const REDIRECT = /^(MOVED|ASK) (\d+) (\S+)$/;

type SlotRange = [number, number, [Buffer | string, number, ...unknown[]], ...unknown[]];

function addressOf(node: string): string {
  if (!node.includes('://')) return node;
  const url = new URL(node);
  return `${url.hostname}:${url.port || 6379}`;
}

export class RespCluster {
  private readonly connections = new Map<string, RespConnection>();
  /** The master connection of each slot; undefined until the slot map is loaded. */
  private owner: (RespConnection | undefined)[] = new Array(SLOTS);
  private loaded = false;
  private refreshing: Promise<void> | undefined;
  private lastRefresh = 0;
  private closed = false;
  private readonly seeds: string[];

  constructor(private readonly options: RespClusterOptions) {
    this.seeds = options.nodes.map(addressOf);
  }

  /** The connections to every node known, for counting round trips. */
  get nodeConnections(): RespConnection[] {
    return [...this.connections.values()];
  }

  /**
   * Sends one command per key (`encode(writer, i)` writes the one of `keys[i]`), grouped by master;
   * resolves to the replies in key order, error replies as RespError values. Rejects when a master
   * cannot be reached or does not answer in time.
   */
  send(keys: readonly string[], encode: (writer: RespWriter, i: number) => void): Promise<RespReply[]> {
    if (!this.loaded) return this.refresh().then(() => this.send(keys, encode));
    const groups = new Map<RespConnection, number[]>();
    for (let i = 0; i < keys.length; i++) {
      const connection = this.owner[keySlot(keys[i]!)];
      if (!connection)
        return Promise.reject(new RespConnectionError(`no node serves the slot of ${keys[i]}`));
      const group = groups.get(connection);
      if (group) group.push(i);
      else groups.set(connection, [i]);
    }
    const replies: RespReply[] = new Array(keys.length);
    const sent = [...groups].map(([connection, indices]) =>
      connection
        .batch(indices.length, (w) => {
          for (const i of indices) encode(w, i);
        })
        .then(
          (got) => {
            for (let k = 0; k < indices.length; k++) replies[indices[k]!] = got[k]!;
          },
          (err: unknown) => {
            // The node failed or stalled: the next reads go by a fresh slot map.
            void this.refresh().catch(() => {});
            throw err;
          },
        ),
    );
    return Promise.all(sent).then(() => this.followRedirects(replies, encode));
  }

  /** Sends again, where Redis said, every command answered MOVED or ASK. */
  private async followRedirects(
    replies: RespReply[],
    encode: (writer: RespWriter, i: number) => void,
  ): Promise<RespReply[]> {
    for (let i = 0; i < replies.length; i++) {
      for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
        const reply = replies[i];
        if (!(reply instanceof RespError)) break;
        const match = REDIRECT.exec(reply.message);
        if (!match) break;
        const [, kind, slot, address] = match as unknown as [string, string, string, string];
        const connection = this.connection(address);
        if (kind === 'MOVED') {
          this.owner[Number(slot)] = connection;
          void this.refresh().catch(() => {});
          replies[i] = (await connection.batch(1, (w) => encode(w, i)))[0]!;
        } else {
          const [, answer] = await connection.batch(2, (w) => {
            w.command(['ASKING']);
            encode(w, i);
          });
          replies[i] = answer!;
        }
      }
    }
    return replies;
  }

  private connection(address: string): RespConnection {
    let connection = this.connections.get(address);
    if (!connection) {
      connection = new RespConnection({
        url: `redis://${address}`,
        connectTimeoutMs: this.options.connectTimeoutMs,
        commandTimeoutMs: this.options.commandTimeoutMs,
      });
      this.connections.set(address, connection);
    }
    return connection;
  }

  /** Reloads the slot map (callers at the same time share one reload; at most one per 100 ms). */
  refresh(): Promise<void> {
    if (this.closed) return Promise.reject(new RespConnectionError('the connection is closed'));
    if (this.refreshing) return this.refreshing;
    if (this.loaded && Date.now() - this.lastRefresh < REFRESH_PAUSE_MS) return Promise.resolve();
    this.lastRefresh = Date.now();
    this.refreshing = this.load().finally(() => {
      this.refreshing = undefined;
      this.lastRefresh = Date.now();
    });
    return this.refreshing;
  }

  /** Asks the known nodes, then the seeds, for the slot map until one answers. */
  private async load(): Promise<void> {
    const candidates = [...new Set([...this.connections.keys(), ...this.seeds])];
    let failure: unknown = new RespConnectionError('no cluster node given');
    for (const address of candidates) {
      try {
        const ranges = (await this.connection(address).send(['CLUSTER', 'SLOTS'])) as SlotRange[];
        const askedHost = address.slice(0, address.lastIndexOf(':'));
        const owner: (RespConnection | undefined)[] = new Array(SLOTS);
        for (const [from, to, [host, port]] of ranges) {
          // An empty host means the node answering, as reached.
          const name = String(host) || askedHost;
          const connection = this.connection(`${name}:${port}`);
          for (let slot = from; slot <= to; slot++) owner[slot] = connection;
        }
        this.owner = owner;
        this.loaded = true;
        return;
      } catch (err) {
        failure = err;
      }
    }
    throw failure;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.connections.values()].map((c) => c.close()));
  }
}
