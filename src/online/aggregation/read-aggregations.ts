/**
 * The aggregation views of an online read: which hashes to fetch (one HGETALL per entity and
 * view, sent in the same round trip as the read's HMGETs), and how their fields become the
 * requested features' values at the read instant. Every value is PRESENT or NULL_VALUE (SPEC §7:
 * aggregation features have no ttl and are never NOT_FOUND).
 */
import { TroveError } from '../../errors.ts';
import type { OnlineFeatureColumn } from '../online-response.ts';
import { RespError, type RespReply } from '../resp/resp-reply.ts';
import type { AggregationCodec } from './aggregation-codec.ts';
import { forEachWindow, type StoredTile } from './window-state.ts';

/** One aggregation view of a read plan, and where its features go in the answer. */
export interface AggregationSlot {
  codec: AggregationCodec;
  /** Per requested feature of the view: its output index and its index among the view's features. */
  outputs: { output: number; feature: number }[];
}

/** An entity's stored tiles, as the window merge takes them. */
export type HashFields = StoredTile[];

const COLON = 0x3a;
const MINUS = 0x2d;

/**
 * The tile a field name (`<g>:<start>[:<push id>]` or `r:<start>[:<push id>]`) names, read from
 * its bytes without making a string: a read parses tens of names. Undefined for other names.
 */
function tileOfName(name: Buffer, bytes: Buffer): StoredTile | undefined {
  let i = 0;
  let g = 0;
  if (name[0] === 0x72 /* r */) i = 1;
  else
    for (; i < name.length && name[i] !== COLON; i++) {
      const d = name[i]! - 0x30;
      if (d < 0 || d > 9) return undefined;
      g = g * 10 + d;
    }
  if (name[i] !== COLON) return undefined;
  i++;
  const negative = name[i] === MINUS;
  if (negative) i++;
  let start = 0;
  for (; i < name.length && name[i] !== COLON; i++) {
    const d = name[i]! - 0x30;
    if (d < 0 || d > 9) return undefined;
    start = start * 10 + d;
  }
  return { g, start: negative ? -start : start, bytes };
}

/** A RESP HGETALL reply (a flat array of bulk strings) as tiles; throws an error reply. */
export function hashFieldsOfResp(reply: RespReply): HashFields {
  if (reply instanceof RespError) throw reply;
  if (!Array.isArray(reply)) throw new RespError(`unexpected reply to HGETALL: ${String(reply)}`);
  const out: HashFields = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const tile = tileOfName(reply[i] as Buffer, reply[i + 1] as Buffer);
    if (tile) out.push(tile);
  }
  return out;
}

/** An ioredis `hgetallBuffer` answer as tiles. */
export function hashFieldsOfRecord(record: Record<string, Buffer>): HashFields {
  const out: HashFields = [];
  for (const [name, bytes] of Object.entries(record)) {
    const tile = tileOfName(Buffer.from(name), bytes);
    if (tile) out.push(tile);
  }
  return out;
}

/**
 * Checks that an instant (ms) is one the online state can answer exactly: no earlier than the
 * read horizon of every view read.
 */
export function checkReadInstant(slots: readonly AggregationSlot[], atMs: number, wallMs: number): void {
  for (const { codec } of slots) {
    if (atMs < wallMs - codec.layout.horizon * 1000)
      throw new TroveError(
        'NOW_OUT_OF_RANGE',
        `now ${new Date(atMs).toISOString()} is more than ${codec.layout.horizon} seconds in the past; online reads of aggregation view ${codec.view.name} go back that far at most (use a training dataset for older instants)`,
      );
  }
}

/**
 * Writes the values of every slot's features for each row into the answer columns. `fields[s *
 * rowCount + row]` holds slot `s`'s hash for entity row `row`; `eventTime` is the read instant's text.
 */
export function answerAggregations(
  slots: readonly AggregationSlot[],
  fields: readonly HashFields[],
  rowCount: number,
  atMicros: number,
  eventTime: string,
  columns: OnlineFeatureColumn[],
): void {
  for (let s = 0; s < slots.length; s++) {
    const { codec, outputs } = slots[s]!;
    for (let row = 0; row < rowCount; row++) {
      forEachWindow(codec, fields[s * rowCount + row]!, atMicros, (span, state) => {
        for (const { output, feature } of outputs) {
          if (codec.features[feature]!.span !== span) continue;
          const value = codec.value(feature, state);
          const column = columns[output]!;
          column.values[row] = value;
          column.statuses[row] = value === null ? 'NULL_VALUE' : 'PRESENT';
          column.event_timestamps[row] = eventTime;
        }
      });
    }
  }
}
