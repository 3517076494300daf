/**
 * The text that identifies an entity in Redis keys: its join keys in name order as
 * `name=value` joined by `&`, each value written canonically for its type (integers as decimal
 * digits, strings percent-encoded so `{`, `}`, `&` and `=` never appear raw, bytes as base64url,
 * timestamps as microseconds). Equal keys give equal text whatever JS type the caller used.
 */
import type { JoinKey } from '../definitions/entity.ts';
import { listElementType, type ScalarType } from '../definitions/value-type.ts';

function scalarText(type: ScalarType, value: unknown): string {
  switch (type) {
    case 'int32':
    case 'int64':
    case 'timestamp':
      return String(value);
    case 'float32':
    case 'float64':
      return Object.is(value, -0) ? '0' : String(value);
    case 'bool':
      return value ? 't' : 'f';
    case 'string':
      return encodeURIComponent(value as string);
    case 'bytes': {
      const bytes = value instanceof Uint8Array ? value : (value as { bytes: Uint8Array }).bytes;
      return `b.${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')}`;
    }
  }
}

/** Canonical text of one join key value (already normalized to its canonical JS form). */
export function keyValueText(type: JoinKey['type'], value: unknown): string {
  if (value === null || value === undefined) return '~';
  const element = listElementType(type);
  if (!element) return scalarText(type as ScalarType, value);
  const items = Array.isArray(value) ? value : (value as { items: readonly unknown[] }).items;
  return `(${items.map((v) => (v === null || v === undefined ? '~' : scalarText(element, v))).join('.')})`;
}

/** Writes the canonical text of one join key value of a fixed type. */
type KeyText = (value: unknown) => string;

/** The writer of a type's key texts, chosen once so building a key does no type parsing. */
function keyTextOf(type: JoinKey['type']): KeyText {
  const element = listElementType(type);
  if (element) return (value) => keyValueText(type, value);
  const scalar = type as ScalarType;
  return (value) => (value === null || value === undefined ? '~' : scalarText(scalar, value));
}

/** Builds entity texts for a fixed list of join keys; `order` puts them in name order once. */
export class EntityKeyBuilder {
  private readonly order: number[];
  /** `name=` of each key, in `joinKeys` order. */
  private readonly prefixes: string[];
  private readonly texts: KeyText[];

  constructor(readonly joinKeys: readonly JoinKey[]) {
    this.order = joinKeys
      .map((k, i) => ({ name: k.name, i }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((x) => x.i);
    this.prefixes = joinKeys.map((k) => `${k.name}=`);
    this.texts = joinKeys.map((k) => keyTextOf(k.type));
  }

  /** Entity text from values given in the order of `joinKeys`. */
  text(values: readonly unknown[]): string {
    const order = this.order;
    let out = '';
    for (let j = 0; j < order.length; j++) {
      const i = order[j]!;
      if (j > 0) out += '&';
      out += this.prefixes[i]! + this.texts[i]!(values[i]);
    }
    return out;
  }
}
