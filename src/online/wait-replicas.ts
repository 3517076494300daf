/**
 * `onlineStore.waitReplicas`: after a batch of online writes, Redis `WAIT numreplicas timeout` on
 * the connection that sent them, and the batch fails unless enough replicas confirmed it. Redis
 * replicates asynchronously, so without it a write the master acknowledged can vanish when a
 * replica that had not received it yet is promoted. With it, an acknowledged write was on the
 * master and `waitReplicas` replicas; a failover that promotes one of them keeps it. A failed
 * batch may still be on the master (WAIT cannot undo a write); its caller sees an error and runs
 * it again, which newest-wins writes allow. What each setting guarantees: docs/reliability.md.
 */
import type { Redis } from 'ioredis';
import { UnavailableError } from '../errors.ts';
import { isCluster, type RedisClient } from './redis-client.ts';
import type { RespConnection } from './resp/resp-connection.ts';
import { RespError } from './resp/resp-reply.ts';

export interface WaitReplicas {
  replicas: number;
  timeoutMs: number;
}

function check(confirmed: number, wait: WaitReplicas, node: string): void {
  if (confirmed < wait.replicas)
    throw new UnavailableError(
      `${node}: ${confirmed} of the ${wait.replicas} replicas required (onlineStore.waitReplicas) confirmed the write within ${wait.timeoutMs} ms; it is on the master but may be lost if it fails over`,
    );
}

/** Waits for replicas to confirm what `connection` wrote so far. */
export async function waitOnConnection(
  connection: RespConnection,
  wait: WaitReplicas,
  node: string,
): Promise<void> {
  const [reply] = await connection.batch(
    1,
    (w) => w.command(['WAIT', String(wait.replicas), String(wait.timeoutMs)]),
    connection.commandTimeoutMs + wait.timeoutMs,
  );
  if (reply instanceof RespError) throw reply;
  check(Number(reply), wait, node);
}

/**
 * Waits for replicas to confirm what the general client wrote so far. In a cluster WAIT goes to
 * every master, on the connection the cluster client writes through (a master this client wrote
 * nothing to answers at once with the replicas it has); a master without enough replicas fails it.
 */
export async function waitOnClient(client: RedisClient, wait: WaitReplicas, target: string): Promise<void> {
  const nodes: Redis[] = isCluster(client) ? client.nodes('master') : [client];
  await Promise.all(
    nodes.map(async (node) => {
      const confirmed = (await node.call('WAIT', wait.replicas, wait.timeoutMs)) as number;
      const where = isCluster(client) ? `${target} node ${node.options.host}:${node.options.port}` : target;
      check(confirmed, wait, where);
    }),
  );
}
