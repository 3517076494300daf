/**
 * Join key values back from the entity text of a Redis key (entity-key.ts writes it): what a
 * consistency check needs to read an entity it found by scanning. The text is `name=value` pairs in
 * name order joined by `&`; `~` is null.
 */
import type { JoinKey } from '../../definitions/entity.ts';
import { TroveError } from '../../errors.ts';

function scalarOf(type: JoinKey['type'], text: string): unknown {
  switch (type) {
    case 'int32':
    case 'float32':
    case 'float64':
      return Number(text);
    case 'int64':
      return BigInt(text);
    case 'string':
      return decodeURIComponent(text);
    case 'bool':
      return text === 't';
    case 'bytes':
      return new Uint8Array(Buffer.from(text.slice(2), 'base64url'));
    default:
      throw new TroveError(
        'UNSUPPORTED_JOIN_KEY',
        `join keys of type ${type} cannot be read back from the online store's keys`,
      );
  }
}

/**
 * The values of `joinKeys` (in their order) that `text` encodes, or undefined when the text is
 * not an entity of these keys (another view's entity sharing the hash prefix, say).
 */
export function parseEntityText(joinKeys: readonly JoinKey[], text: string): unknown[] | undefined {
  const byName = new Map<string, string>();
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    byName.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  if (byName.size !== joinKeys.length) return undefined;
  const values: unknown[] = [];
  for (const key of joinKeys) {
    const raw = byName.get(key.name);
    if (raw === undefined) return undefined;
    try {
      // A null key matches no row in the training join (SQL equality), so it is not compared.
      if (raw === '~') return undefined;
      values.push(scalarOf(key.type, raw));
    } catch (err) {
      if (err instanceof TroveError) throw err;
      return undefined;
    }
  }
  return values;
}
