/**
 * The online store's RESP connection (src/online/resp/) made to serve a Redis Cluster in its
 * simplest form, to measure that design before building it: the slot map read once (CLUSTER
 * SLOTS), one connection per master, a read's HMGETs grouped by the master owning their slot and
 * sent as one batch per master. No MOVED/ASK handling and no refresh: enough for a steady cluster
 * in a benchmark, not for serving.
 */
import type { Cluster } from 'ioredis';
import { keySlot } from '../src/online/key-slot.ts';
import { RespConnection } from '../src/online/resp/resp-connection.ts';
import type { RespReply } from '../src/online/resp/resp-reply.ts';

export interface RespPerNode {
  /** HMGET of `fields` for every key; resolves to the replies of each master's batch. */
  hmget(keys: readonly string[], fields: readonly string[]): Promise<RespReply[][]>;
  close(): Promise<void>;
}

type SlotRange = [number, number, [string, number, ...unknown[]], ...unknown[]];

export async function respPerNode(cluster: Cluster): Promise<RespPerNode> {
  const ranges = (await cluster.call('CLUSTER', 'SLOTS')) as SlotRange[];
  const connections = new Map<string, RespConnection>();
  const owner: RespConnection[] = new Array(16384);
  for (const [from, to, [host, port]] of ranges) {
    const address = `${host}:${port}`;
    let connection = connections.get(address);
    if (!connection) {
      connection = new RespConnection({
        url: `redis://${address}`,
        connectTimeoutMs: 2000,
        commandTimeoutMs: 30_000,
      });
      connections.set(address, connection);
    }
    for (let slot = from; slot <= to; slot++) owner[slot] = connection;
  }
  return {
    hmget(keys, fields) {
      const groups = new Map<RespConnection, string[]>();
      for (const key of keys) {
        const connection = owner[keySlot(key)]!;
        const group = groups.get(connection);
        if (group) group.push(key);
        else groups.set(connection, [key]);
      }
      return Promise.all(
        [...groups].map(([connection, group]) =>
          connection.batch(group.length, (w) => {
            for (const key of group) w.command(['HMGET', key, ...fields]);
          }),
        ),
      );
    },
    async close() {
      await Promise.all([...connections.values()].map((c) => c.close()));
    },
  };
}
