/**
 * A sample of the entities the online store holds for one view, found by SCAN over the project's
 * keys (on every master of a cluster): entity hashes holding the view's field for a batch view,
 * the view's state hashes for an aggregation view. SCAN visits keys in hash-table order, which has
 * nothing to do with the entities' values, so the first `size` found are a fair sample; the scan
 * stops there, so its cost is bounded by the sample, not by the keyspace.
 */
import type { Redis } from 'ioredis';
import type { JoinKey } from '../../definitions/entity.ts';
import type { OnlineStore } from '../online-store.ts';
import { isCluster, redisFailure } from '../redis-client.ts';
import { parseEntityText } from './entity-text.ts';

const SCAN_COUNT = 1000;

/** `text` matched literally by a Redis glob. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** What to look for: keys matching `pattern`, holding `field` when given. */
export interface SampleTarget {
  joinKeys: readonly JoinKey[];
  /** Glob of the keys, built from literal parts around the entity text. */
  prefix: string;
  suffix: string;
  /** Hash field the entity's key must hold (batch views); absent: any key matching is one. */
  field?: string;
}

/** The target of a batch view: entity hashes holding its field. */
export function batchTarget(store: OnlineStore, joinKeys: readonly JoinKey[], field: string): SampleTarget {
  const probe = store.keys.entity('\0');
  const at = probe.indexOf('\0');
  return { joinKeys, prefix: probe.slice(0, at), suffix: probe.slice(at + 1), field };
}

/** The target of an aggregation view: its state hashes of the current fingerprint. */
export function aggregationTarget(
  store: OnlineStore,
  joinKeys: readonly JoinKey[],
  view: string,
  fingerprint: string,
): SampleTarget {
  const probe = store.keys.aggregation('\0', view, fingerprint);
  const at = probe.indexOf('\0');
  return { joinKeys, prefix: probe.slice(0, at), suffix: probe.slice(at + 1) };
}

/** Up to `size` distinct entities (join key values in `joinKeys` order) held for the target. */
export async function sampleEntities(
  store: OnlineStore,
  target: SampleTarget,
  size: number,
): Promise<unknown[][]> {
  const client = store.client;
  const nodes: Redis[] = isCluster(client) ? client.nodes('master') : [client];
  const pattern = `${globLiteral(target.prefix)}*${globLiteral(target.suffix)}`;
  const seen = new Set<string>();
  const sample: unknown[][] = [];
  try {
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
        cursor = next;
        let candidates = keys.filter((k) => k.startsWith(target.prefix) && k.endsWith(target.suffix));
        if (target.field !== undefined && candidates.length > 0) {
          const pipeline = node.pipeline();
          for (const key of candidates) pipeline.hexists(key, target.field);
          const replies = (await pipeline.exec()) ?? [];
          candidates = candidates.filter((_, i) => {
            const [err, held] = replies[i] ?? [null, 0];
            if (err) throw err;
            return Number(held) === 1;
          });
        }
        for (const key of candidates) {
          const text = key.slice(target.prefix.length, key.length - target.suffix.length);
          if (seen.has(text)) continue;
          const values = parseEntityText(target.joinKeys, text);
          if (values === undefined) continue;
          seen.add(text);
          sample.push(values);
          if (sample.length >= size) return sample;
        }
      } while (cursor !== '0');
    }
  } catch (err) {
    throw redisFailure(err, store.target, 'sampling online entities');
  }
  return sample;
}
