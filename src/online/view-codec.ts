/**
 * How one feature view lives in the online store: its hash field name and the encoding of its rows.
 *
 * The field name is `<view>#<fingerprint>`, the fingerprint being a hash of the view's join keys
 * and feature names and types. Changing any of them (or deleting the view) changes what readers
 * ask for, so old values become unreadable at once without touching them; `reclaimStaleFields`
 * frees their memory later.
 */
import type { JoinKey } from '../definitions/entity.ts';
import type { FeatureView } from '../definitions/feature-view.ts';
import { canonicalJson, sha256 } from '../registry/canonical-json.ts';
import type { Registry } from '../registry/registry.ts';
import { EntityKeyBuilder } from './entity-key.ts';
import { HEADER_BYTES, headerEventMicros, rowHeader } from './row-header.ts';
import { tieTypes } from './tie-order.ts';
import {
  ByteReader,
  ByteWriter,
  ValueDecodeError,
  type ValueReader,
  valueReader,
  writeValue,
} from './value-codec.ts';

/** A decoded online row: event time in microseconds and every feature of the view. */
export interface DecodedRow {
  eventMicros: number;
  values: unknown[];
}

export function viewFingerprint(view: FeatureView, joinKeys: readonly JoinKey[]): string {
  const shape = {
    joinKeys: joinKeys.map((k) => [k.name, k.type]),
    features: view.features.map((f) => [f.name, f.type]),
  };
  return sha256(canonicalJson(shape)).slice(0, 12);
}

export class ViewCodec {
  readonly view: FeatureView;
  readonly joinKeys: readonly JoinKey[];
  readonly fingerprint: string;
  /** Hash field holding this view's row in an entity hash. */
  readonly field: string;
  /** The features' type signature the write script settles exact ties with (tie-order.ts). */
  readonly tieTypes: string;
  readonly entityKeys: EntityKeyBuilder;
  private readonly writer = new ByteWriter();
  private readonly reader = new ByteReader();
  /** One reader per feature, in definition order, chosen once for the view's types. */
  private readonly readers: readonly ValueReader[];
  private readonly featureIndex: Map<string, number>;

  constructor(view: FeatureView, joinKeys: readonly JoinKey[]) {
    this.view = view;
    this.joinKeys = joinKeys;
    this.fingerprint = viewFingerprint(view, joinKeys);
    this.field = `${view.name}#${this.fingerprint}`;
    this.tieTypes = tieTypes(view.features);
    this.entityKeys = new EntityKeyBuilder(joinKeys);
    this.featureIndex = new Map(view.features.map((f, i) => [f.name, i]));
    this.readers = view.features.map((f) => valueReader(f.type));
  }

  static of(registry: Registry, view: FeatureView): ViewCodec {
    return new ViewCodec(view, registry.joinKeysOf(view));
  }

  /** Identifies join key sets: views with the same one share the entity's hash. */
  get joinKeySignature(): string {
    return this.joinKeys.map((k) => `${k.name}:${k.type}`).join(',');
  }

  indexOf(featureName: string): number {
    const i = this.featureIndex.get(featureName);
    if (i === undefined) throw new Error(`view ${this.view.name} has no feature ${featureName}`);
    return i;
  }

  /**
   * Encodes one row. `features(i)` gives the canonical value of feature i (int64 and timestamps as
   * bigint, bytes as Uint8Array, lists as arrays).
   */
  encode(eventMicros: bigint, createdMicros: bigint | null, features: (i: number) => unknown): Buffer {
    const w = this.writer;
    w.reset();
    w.latin1(rowHeader(eventMicros, createdMicros));
    const list = this.view.features;
    for (let i = 0; i < list.length; i++) writeValue(w, list[i]!.type, features(i));
    return w.finish();
  }

  /** Decodes a stored row; throws ValueDecodeError when it is not a row of this schema. */
  decode(value: Buffer): DecodedRow {
    const values: unknown[] = new Array(this.readers.length);
    const eventMicros = this.decodeInto(value, values);
    return { eventMicros, values };
  }

  /**
   * Decodes a stored row into `out` (feature i at index i) and returns its event time in µs; the
   * read path reuses one `out` for every row. Throws ValueDecodeError when it is not a row of this
   * schema, leaving `out` partly written.
   */
  decodeInto(value: Buffer, out: unknown[]): number {
    const eventMicros = headerEventMicros(value);
    if (Number.isNaN(eventMicros)) throw new ValueDecodeError('unknown value header');
    const r = this.reader;
    r.reset(value, HEADER_BYTES);
    const readers = this.readers;
    for (let i = 0; i < readers.length; i++) out[i] = readers[i]!(r);
    if (!r.done) throw new ValueDecodeError('trailing bytes after the last feature');
    return eventMicros;
  }
}
