/**
 * Online reads: resolve the request against the registry, fetch every (entity, view) value with one
 * HMGET per entity hash, all sent in one pipeline (one round trip; one per node in a cluster), then
 * decode and apply each view's ttl at read time.
 */
import type { JoinKey } from '../definitions/entity.ts';
import type { BatchFeatureView } from '../definitions/feature-view.ts';
import { normalizeValue, presentValue } from '../definitions/input-values.ts';
import type { ValueType } from '../definitions/value-type.ts';
import { isBatchView } from '../definitions/view-kinds.ts';
import { NotFoundError, TroveError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { outputFeatures, resolveFeatures } from '../registry/resolve-features.ts';
import { showName } from '../show-value.ts';
import type { AggregationCodec } from './aggregation/aggregation-codec.ts';
import {
  type AggregationSlot,
  answerAggregations,
  checkReadInstant,
  type HashFields,
  hashFieldsOfRecord,
  hashFieldsOfResp,
} from './aggregation/read-aggregations.ts';
import { typedColumn } from './column-type.ts';
import type { EntityKeyBuilder } from './entity-key.ts';
import type { OnlineKeys } from './online-keys.ts';
import type {
  FeatureStatus,
  OnlineFeatureColumn,
  OnlineFeaturesRequest,
  OnlineFeaturesResponse,
} from './online-response.ts';
import { isCluster, type RedisClient } from './redis-client.ts';
import { RespCluster } from './resp/resp-cluster.ts';
import { RespConnection } from './resp/resp-connection.ts';
import { RespError, type RespReply } from './resp/resp-reply.ts';
import { type RespWriter, respArgs } from './resp/resp-writer.ts';
import type { ViewCodec } from './view-codec.ts';

export const NO_EVENT_TIME = '1970-01-01T00:00:00Z';

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * ISO 8601 UTC of microseconds since the epoch, with as many fraction digits as needed. Computed
 * with integer arithmetic (days to civil date) because it runs once per (view, entity) of a read.
 */
export function formatMicros(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  let frac = micros - seconds * 1_000_000;
  const days = Math.floor(seconds / 86_400);
  const secOfDay = seconds - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(secOfDay / 3600);
  const m = Math.floor((secOfDay % 3600) / 60);
  const base = `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${pad2(h)}:${pad2(m)}:${pad2(secOfDay % 60)}`;
  if (frac === 0) return `${base}Z`;
  let digits = 6;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  return `${base}.${String(frac).padStart(digits, '0')}Z`;
}

/** Texts of recent event times; rows written by one materialization or push often share one. */
const eventTimeTexts = new Map<number, string>();
const MAX_EVENT_TIME_TEXTS = 4096;

/** `formatMicros`, remembered for recently seen values. */
export function eventTimeText(micros: number): string {
  let text = eventTimeTexts.get(micros);
  if (text === undefined) {
    text = formatMicros(micros);
    if (eventTimeTexts.size >= MAX_EVENT_TIME_TEXTS) eventTimeTexts.clear();
    eventTimeTexts.set(micros, text);
  }
  return text;
}

/** Fetches raw values: one HMGET per (entity, key group), all in one round trip. */
export async function fetchFields(
  client: RedisClient,
  gets: readonly { key: string; fields: readonly string[] }[],
): Promise<(Buffer | null)[][]> {
  if (gets.length === 0) return [];
  if (isCluster(client)) {
    return Promise.all(gets.map((g) => client.hmgetBuffer(g.key, ...g.fields)));
  }
  const pipeline = client.pipeline();
  for (const g of gets) pipeline.hmgetBuffer(g.key, ...g.fields);
  const results = (await pipeline.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value as (Buffer | null)[];
  });
}

interface KeyGroup {
  joinKeys: readonly JoinKey[];
  builder: EntityKeyBuilder;
  codecs: ViewCodec[];
  fields: string[];
  /** `HMGET` and the group's fields in RESP, around each entity's key; built once per plan. */
  hmgetHead: Buffer;
  hmgetFields: Buffer;
}

/**
 * Where reads go: the online store's own connection (to a standalone Redis) or connections (one
 * per master of a cluster), or a general client.
 */
export type ReadSource = RedisClient | RespConnection | RespCluster;

function withHmget(group: Omit<KeyGroup, 'hmgetHead' | 'hmgetFields'>): KeyGroup {
  return {
    ...group,
    hmgetHead: Buffer.concat([Buffer.from(`*${2 + group.fields.length}\r\n`), respArgs('HMGET')]),
    hmgetFields: respArgs(...group.fields),
  };
}

/** A HMGET's reply: the values, or the reason it failed. */
function hmgetValues(reply: RespReply): (Buffer | null)[] {
  if (reply instanceof RespError) throw reply;
  if (!Array.isArray(reply)) throw new RespError(`unexpected reply to HMGET: ${String(reply)}`);
  return reply as (Buffer | null)[];
}

/** One requested feature: where its value sits in the fetched answers and what it is called. */
interface PlannedOutput {
  outputName: string;
  /** Index of its view among every group's codecs, in group order. */
  slot: number;
  index: number;
  type: ValueType;
}

/** How the values of one view (a slot) are turned into answer columns. */
interface PlannedSlot {
  codec: ViewCodec;
  /** Index of each of the view's outputs in `ReadPlan.outputs`. */
  outputs: number[];
  ttlMicros: number;
  /** Decoded features of the row at hand, reused for every row (decoding is synchronous). */
  scratch: unknown[];
}

/**
 * What a request resolves to against one registry version, independent of the entity values:
 * which views, how they share entity hashes, which join keys they need. Built once per (registry,
 * features or service, full names) and reused, so a read does no resolution work.
 */
export interface ReadPlan {
  groups: KeyGroup[];
  /** Codecs of every group, in group order; `PlannedOutput.slot` indexes this. */
  codecs: ViewCodec[];
  outputs: PlannedOutput[];
  /** One per codec, in the order of `codecs`. */
  slots: PlannedSlot[];
  /** Join key name → type, with the view that first needs it (for the error when it is missing). */
  keyTypes: Map<string, { type: ValueType; view: string }>;
  /** Aggregation views, each read with one HGETALL per entity row. */
  aggregations: AggregationSlot[];
}

/** Resolves a request's features against a registry; throws for unknown or offline-only views. */
export function planRead(
  registry: Registry,
  codecOf: (viewName: string) => ViewCodec,
  aggregationCodecOf: (viewName: string) => AggregationCodec,
  request: Pick<OnlineFeaturesRequest, 'features' | 'service' | 'fullFeatureNames'>,
): ReadPlan {
  const selections = resolveFeatures(registry, request);
  const outputs = outputFeatures(selections, request.fullFeatureNames ?? false);
  const served = new Map<string, BatchFeatureView>();
  const keyTypes = new Map<string, { type: ValueType; view: string }>();
  const aggregations = new Map<string, AggregationSlot>();
  for (const { view } of selections) {
    if (view.kind === 'onDemand')
      throw new TroveError(
        'ON_DEMAND_NOT_SUPPORTED',
        `feature view ${view.name} is an on-demand view, which online reads do not compute yet`,
      );
    if (!view.online)
      throw new NotFoundError(
        'VIEW_NOT_ONLINE',
        `feature view ${view.name} is not served online (online: false)`,
      );
    if (isBatchView(view)) served.set(view.name, view);
    else if (!aggregations.has(view.name)) {
      const codec = aggregationCodecOf(view.name);
      for (const k of codec.joinKeys)
        if (!keyTypes.has(k.name)) keyTypes.set(k.name, { type: k.type, view: view.name });
      aggregations.set(view.name, { codec, outputs: [] });
    }
  }
  // Views sharing a join key set share an entity hash: one HMGET fetches all of them.
  const groups = new Map<string, Omit<KeyGroup, 'hmgetHead' | 'hmgetFields'>>();
  for (const { view } of selections) {
    if (!served.has(view.name)) continue;
    const codec = codecOf(view.name);
    for (const k of codec.joinKeys)
      if (!keyTypes.has(k.name)) keyTypes.set(k.name, { type: k.type, view: view.name });
    const group = groups.get(codec.joinKeySignature);
    if (group) {
      group.codecs.push(codec);
      group.fields.push(codec.field);
    } else {
      groups.set(codec.joinKeySignature, {
        joinKeys: codec.joinKeys,
        builder: codec.entityKeys,
        codecs: [codec],
        fields: [codec.field],
      });
    }
  }
  const groupList = [...groups.values()].map(withHmget);
  const codecs = groupList.flatMap((g) => g.codecs);
  const slots: PlannedSlot[] = codecs.map((codec) => ({
    codec,
    outputs: [],
    ttlMicros: served.get(codec.view.name)!.ttl * 1_000_000,
    scratch: new Array(codec.view.features.length),
  }));
  const planned = outputs.map((out, o) => {
    const aggregation = aggregations.get(out.view.name);
    if (aggregation) {
      aggregation.outputs.push({ output: o, feature: aggregation.codec.indexOf(out.feature.name) });
      return { outputName: out.outputName, slot: -1, index: -1, type: out.feature.type };
    }
    const slot = codecs.findIndex((c) => c.view.name === out.view.name);
    slots[slot]!.outputs.push(o);
    return {
      outputName: out.outputName,
      slot,
      index: codecs[slot]!.indexOf(out.feature.name),
      type: out.feature.type,
    };
  });
  return {
    groups: groupList,
    codecs,
    outputs: planned,
    slots,
    keyTypes,
    aggregations: [...aggregations.values()],
  };
}

/** Key of a request's plan among the plans of one registry version. */
export function planKey(
  request: Pick<OnlineFeaturesRequest, 'features' | 'service' | 'fullFeatureNames'>,
): string {
  const names = request.fullFeatureNames ? 'f' : 's';
  if (request.service !== undefined)
    return `${names}@${request.service}${request.features && request.features.length > 0 ? '\n+' : ''}`;
  return `${names}:${(request.features ?? []).join('\n')}`;
}

/**
 * Canonical form of an entity key value. The common cases (int64 keys as JS integers or bigints,
 * string keys as strings) are taken here, without `normalizeValue`'s type parsing and error text
 * per value; everything else, errors included, goes through it.
 */
function keyValue(type: ValueType, value: unknown, name: string, row: number): unknown {
  if (type === 'int64') {
    if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  } else if (type === 'string' && typeof value === 'string') return value;
  return normalizeValue(type, value, `entity ${name}, row ${row}`);
}

/** Whether canonical values of `type` differ from what a read returns (timestamps, lists of them). */
function needsPresenting(type: ValueType): boolean {
  return type === 'timestamp' || type.startsWith('list<');
}

/**
 * An array for the `rowCount` values of one answer column. A read makes a few per feature, and
 * `new Array(n)` with an unknown `n` is a call into the engine where a literal is allocated inline:
 * the single-entity read, the most common, gets literals.
 */
function rowArray<T>(rowCount: number, fill: T): T[] {
  if (rowCount === 1) return [fill];
  return new Array<T>(rowCount).fill(fill);
}

/** A request checked against its plan, with its entity key columns and the HMGETs to send. */
interface PreparedRead {
  entityNames: string[];
  rowCount: number;
  /** Entity columns in canonical form (join keys) or as given (other columns). */
  normalized: Map<string, unknown[]>;
  gets: { key: string; fields: readonly string[]; group: KeyGroup }[];
  /** The state hash of each aggregation slot for each row: `[slot * rowCount + row]`. */
  hashes: string[];
}

/** Checks the entities against the plan and builds the HMGETs; throws for an invalid request. */
function prepareRead(keys: OnlineKeys, plan: ReadPlan, request: OnlineFeaturesRequest): PreparedRead {
  const entities = request.entities;
  const entityNames = Object.keys(entities);
  if (entityNames.length === 0) throw new TroveError('INVALID_REQUEST', 'no entities given');
  const first = entities[entityNames[0]!];
  const rowCount = Array.isArray(first) ? first.length : 0;
  for (const name of entityNames) {
    const column = entities[name];
    if (!Array.isArray(column) || column.length !== rowCount)
      throw new TroveError(
        'INVALID_REQUEST',
        `entity column ${showName(name)} must be a list of ${rowCount} values like the others`,
      );
  }
  for (const [name, { view }] of plan.keyTypes) {
    if (!(name in entities))
      throw new TroveError('MISSING_JOIN_KEY', `feature view ${view} needs join key ${name} in the entities`);
  }

  const normalized = new Map<string, unknown[]>();
  for (const name of entityNames) {
    const key = plan.keyTypes.get(name);
    const column = entities[name]!;
    if (!key) {
      normalized.set(name, [...column]);
      continue;
    }
    const out = new Array(rowCount);
    for (let i = 0; i < rowCount; i++) out[i] = keyValue(key.type, column[i], name, i);
    normalized.set(name, out);
  }

  const gets: PreparedRead['gets'] = [];
  for (const group of plan.groups) {
    const columns = group.joinKeys.map((k) => normalized.get(k.name)!);
    const values: unknown[] = new Array(columns.length);
    for (let row = 0; row < rowCount; row++) {
      for (let j = 0; j < columns.length; j++) values[j] = columns[j]![row];
      gets.push({ key: keys.entity(group.builder.text(values)), fields: group.fields, group });
    }
  }
  const hashes: string[] = [];
  for (const { codec } of plan.aggregations) {
    const columns = codec.joinKeys.map((k) => normalized.get(k.name)!);
    const values: unknown[] = new Array(columns.length);
    for (let row = 0; row < rowCount; row++) {
      for (let j = 0; j < columns.length; j++) values[j] = columns[j]![row];
      hashes.push(codec.key(keys, codec.entityKeys.text(values)));
    }
  }
  return { entityNames, rowCount, normalized, gets, hashes };
}

/**
 * Reads a request's features: one HMGET per (entity, key group), all in one round trip, decoded
 * into Feast's column-oriented answer. Throws synchronously for an invalid request; `onFailure`
 * turns the errors of the fetch into the caller's.
 *
 * Not an async function: the answer is built in a handler chained on the fetch's promise, so a read
 * costs that promise and one more, where an async function awaiting it costs extra turns.
 */
export function readOnline(
  client: ReadSource,
  keys: OnlineKeys,
  plan: ReadPlan,
  request: OnlineFeaturesRequest,
  nowMs: number,
  onFailure: (err: unknown) => never,
): Promise<OnlineFeaturesResponse> {
  const prepared = prepareRead(keys, plan, request);
  const gets = prepared.gets;
  if (plan.aggregations.length > 0) return readWithAggregations(client, plan, prepared, nowMs, onFailure);
  if (client instanceof RespConnection) {
    const encode = (w: RespWriter): void => {
      for (const g of gets) w.raw(g.group.hmgetHead).string(g.key).raw(g.group.hmgetFields);
    };
    if (gets.length === 1)
      return client
        .one(encode)
        .then((reply) => answerRead(plan, prepared, [hmgetValues(reply)], nowMs), onFailure);
    return client
      .batch(gets.length, encode)
      .then((replies) => answerRead(plan, prepared, replies.map(hmgetValues), nowMs), onFailure);
  }
  if (client instanceof RespCluster) {
    return client
      .send(
        gets.map((g) => g.key),
        (w, i) => {
          const g = gets[i]!;
          w.raw(g.group.hmgetHead).string(g.key).raw(g.group.hmgetFields);
        },
      )
      .then((replies) => answerRead(plan, prepared, replies.map(hmgetValues), nowMs), onFailure);
  }
  // A lone command needs no pipeline (whose setup costs more than the command): still one round trip.
  if (gets.length === 1 && !isCluster(client)) {
    const get = gets[0]!;
    return client
      .hmgetBuffer(get.key, ...get.fields)
      .then((reply) => answerRead(plan, prepared, [reply], nowMs), onFailure);
  }
  return fetchFields(client, gets).then((fetched) => answerRead(plan, prepared, fetched, nowMs), onFailure);
}

const HGETALL_HEAD = Buffer.from('*2\r\n$7\r\nHGETALL\r\n');

/**
 * A read with aggregation views: their HGETALLs go in the same round trip as the HMGETs (one per
 * node in a cluster), then each view's windows are merged at `nowMs`.
 */
function readWithAggregations(
  client: ReadSource,
  plan: ReadPlan,
  prepared: PreparedRead,
  nowMs: number,
  onFailure: (err: unknown) => never,
): Promise<OnlineFeaturesResponse> {
  checkReadInstant(plan.aggregations, nowMs, Date.now());
  const { gets, hashes } = prepared;
  const answer = (values: (Buffer | null)[][], hashFields: HashFields[]): OnlineFeaturesResponse => {
    const response = answerRead(plan, prepared, values, nowMs);
    const columns = response.results.slice(prepared.entityNames.length);
    answerAggregations(
      plan.aggregations,
      hashFields,
      prepared.rowCount,
      nowMs * 1000,
      eventTimeText(nowMs * 1000),
      columns,
    );
    return response;
  };
  if (client instanceof RespConnection) {
    return client
      .batch(gets.length + hashes.length, (w) => {
        for (const g of gets) w.raw(g.group.hmgetHead).string(g.key).raw(g.group.hmgetFields);
        for (const h of hashes) w.raw(HGETALL_HEAD).string(h);
      })
      .then(
        (replies) =>
          answer(
            replies.slice(0, gets.length).map(hmgetValues),
            replies.slice(gets.length).map(hashFieldsOfResp),
          ),
        onFailure,
      );
  }
  if (client instanceof RespCluster) {
    const keys = [...gets.map((g) => g.key), ...hashes];
    return client
      .send(keys, (w, i) => {
        const g = gets[i];
        if (g) w.raw(g.group.hmgetHead).string(g.key).raw(g.group.hmgetFields);
        else w.raw(HGETALL_HEAD).string(keys[i]!);
      })
      .then(
        (replies) =>
          answer(
            replies.slice(0, gets.length).map(hmgetValues),
            replies.slice(gets.length).map(hashFieldsOfResp),
          ),
        onFailure,
      );
  }
  if (isCluster(client)) {
    return Promise.all([
      Promise.all(gets.map((g) => client.hmgetBuffer(g.key, ...g.fields))),
      Promise.all(hashes.map((h) => client.hgetallBuffer(h))),
    ]).then(([values, records]) => answer(values, records.map(hashFieldsOfRecord)), onFailure);
  }
  const pipeline = client.pipeline();
  for (const g of gets) pipeline.hmgetBuffer(g.key, ...g.fields);
  for (const h of hashes) pipeline.hgetallBuffer(h);
  return pipeline.exec().then((results) => {
    const replies = (results ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    return answer(
      replies.slice(0, gets.length) as (Buffer | null)[][],
      (replies.slice(gets.length) as Record<string, Buffer>[]).map(hashFieldsOfRecord),
    );
  }, onFailure);
}

/** Builds the answer from the fetched values: `fetched[i]` answers `prepared.gets[i]`. */
function answerRead(
  plan: ReadPlan,
  prepared: PreparedRead,
  fetched: readonly (readonly (Buffer | null)[])[],
  nowMs: number,
): OnlineFeaturesResponse {
  const { entityNames, rowCount, normalized } = prepared;
  const feature_names: string[] = [];
  const results: OnlineFeatureColumn[] = [];
  for (const name of entityNames) {
    const key = plan.keyTypes.get(name);
    const column = normalized.get(name)!;
    feature_names.push(name);
    results.push({
      values: key && needsPresenting(key.type) ? column.map((v) => presentValue(key.type, v)) : column,
      statuses: rowArray<FeatureStatus>(rowCount, 'PRESENT'),
      event_timestamps: rowArray(rowCount, NO_EVENT_TIME),
    });
  }

  const outputs = plan.outputs;
  const columns: OnlineFeatureColumn[] = new Array(outputs.length);
  // The placeholder contents never reach the caller: every (output, row) is written below.
  for (let o = 0; o < outputs.length; o++) {
    const out = outputs[o]!;
    const column = typedColumn(
      out.type,
      rowArray<unknown>(rowCount, null),
      rowArray<FeatureStatus>(rowCount, 'NOT_FOUND'),
      rowArray(rowCount, NO_EVENT_TIME),
    );
    columns[o] = column;
    feature_names.push(out.outputName);
    results.push(column);
  }

  // Every value goes straight from its reply into the answer columns: decoded once per (view,
  // row) into the slot's scratch row, its event time formatted once, however many of the view's
  // features are asked for.
  const nowMicros = nowMs * 1000;
  let s = 0;
  for (let g = 0; g < plan.groups.length; g++) {
    const fieldCount = plan.groups[g]!.codecs.length;
    for (let f = 0; f < fieldCount; f++, s++) {
      const slot = plan.slots[s]!;
      const codec = slot.codec;
      const scratch = slot.scratch;
      const slotOutputs = slot.outputs;
      const oldest = slot.ttlMicros > 0 ? nowMicros - slot.ttlMicros : Number.NEGATIVE_INFINITY;
      for (let row = 0; row < rowCount; row++) {
        const raw = fetched[g * rowCount + row]![f];
        // Undefined status: the row is served, each feature PRESENT or NULL_VALUE.
        let status: FeatureStatus | undefined;
        let text = NO_EVENT_TIME;
        if (!raw) status = 'NOT_FOUND';
        else {
          let micros: number;
          try {
            micros = codec.decodeInto(raw, scratch);
          } catch {
            micros = Number.NaN;
          }
          if (Number.isNaN(micros)) status = 'INVALID';
          else {
            text = eventTimeText(micros);
            if (oldest > micros) status = 'OUTSIDE_MAX_AGE';
          }
        }
        for (let k = 0; k < slotOutputs.length; k++) {
          const o = slotOutputs[k]!;
          const column = columns[o]!;
          column.event_timestamps[row] = text;
          if (status !== undefined) {
            column.values[row] = null;
            column.statuses[row] = status;
            continue;
          }
          const value = scratch[outputs[o]!.index];
          if (value === null || value === undefined) {
            column.values[row] = null;
            column.statuses[row] = 'NULL_VALUE';
          } else {
            column.values[row] = value;
            column.statuses[row] = 'PRESENT';
          }
        }
      }
    }
  }
  return { metadata: { feature_names }, results };
}
