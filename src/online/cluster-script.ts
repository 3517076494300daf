/**
 * Script calls in a Redis Cluster. Each call goes as EVALSHA, which the cluster client routes by
 * its first key and auto-pipelines with the other commands for the same node: one round trip per
 * node for each wave of up to 256 calls. A call refused because its node does not know the script
 * yet (a new node, a restarted one, a replica just promoted) is sent again as EVAL; it did nothing
 * the first time.
 *
 * Not `defineCommand`: the cluster client's auto-pipelining takes a defined command's first
 * argument (the key count) for its key, groups it with the wrong node's commands, and fails the
 * whole group ("All keys in the pipeline should belong to the same slots allocation group").
 */
import { createHash } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { withSlotRefresh } from './cluster-redirects.ts';

/**
 * Calls sent before waiting for their replies. Each call's timeout runs from when it is sent, and a
 * materialization batch spread over a cluster's slots is thousands of calls of one or two rows: sent
 * all at once, the last ones waited behind the others until they timed out on a busy machine.
 */
const CALLS_AT_ONCE = 256;

/** A Lua script with its SHA1, as EVALSHA names it. */
export interface ClusterScript {
  readonly lua: string;
  readonly sha: string;
}

export function clusterScript(lua: string): ClusterScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** One call: the number of keys, the keys, then the arguments. */
export type ScriptCall = readonly [number, ...(string | Buffer | number)[]];

function evalOne(client: Cluster, script: ClusterScript, [keyCount, ...args]: ScriptCall): Promise<unknown> {
  return client.evalsha(script.sha, keyCount, ...args).catch((err: unknown) => {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT'))
      return client.eval(script.lua, keyCount, ...args);
    throw err;
  });
}

/**
 * Runs every call; resolves to their replies in order, rejects with the first failure. A call
 * refused because its slot moved (it did nothing) is sent again once the slot map is reloaded.
 */
export async function evalEach(
  client: Cluster,
  script: ClusterScript,
  calls: readonly ScriptCall[],
): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (let i = 0; i < calls.length; i += CALLS_AT_ONCE) {
    const wave = calls.slice(i, i + CALLS_AT_ONCE);
    replies.push(
      ...(await Promise.all(
        wave.map((call) => withSlotRefresh(client, () => evalOne(client, script, call))),
      )),
    );
  }
  return replies;
}
