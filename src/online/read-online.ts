/**
 * Online reads: resolve the request against the registry, fetch every (entity, view) value with one
 * HMGET per entity hash, all sent in one pipeline (one round trip; one per node in a cluster), then
 * decode and apply each view's ttl at read time.
 */
import type { JoinKey } from '../definitions/entity.ts';
import type { ValueType } from '../definitions/value-type.ts';
import { NotFoundError, TroveError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { outputFeatures, resolveFeatures } from '../registry/resolve-features.ts';
import { normalizeValue, presentValue } from './input-values.ts';
import type { OnlineKeys } from './online-keys.ts';
import type {
  FeatureStatus,
  OnlineFeatureColumn,
  OnlineFeaturesRequest,
  OnlineFeaturesResponse,
} from './online-response.ts';
import { isCluster, type RedisClient } from './redis-client.ts';
import type { DecodedRow, ViewCodec } from './view-codec.ts';

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
  codecs: ViewCodec[];
}

export async function readOnline(
  client: RedisClient,
  keys: OnlineKeys,
  registry: Registry,
  codecOf: (viewName: string) => ViewCodec,
  request: OnlineFeaturesRequest,
  nowMs: number,
): Promise<OnlineFeaturesResponse> {
  const selections = resolveFeatures(registry, request);
  const outputs = outputFeatures(selections, request.fullFeatureNames ?? false);
  for (const { view } of selections) {
    if (!view.online)
      throw new NotFoundError(
        'VIEW_NOT_ONLINE',
        `feature view ${view.name} is not served online (online: false)`,
      );
  }

  const entityNames = Object.keys(request.entities);
  if (entityNames.length === 0) throw new TroveError('INVALID_REQUEST', 'no entities given');
  const rowCount = request.entities[entityNames[0]!]!.length;
  for (const name of entityNames) {
    if (!Array.isArray(request.entities[name]) || request.entities[name]!.length !== rowCount)
      throw new TroveError(
        'INVALID_REQUEST',
        `entity column ${name} must be a list of ${rowCount} values like the others`,
      );
  }

  // Views sharing a join key set share an entity hash: one HMGET fetches all of them.
  const groups = new Map<string, KeyGroup>();
  const keyTypes = new Map<string, ValueType>();
  for (const { view } of selections) {
    const codec = codecOf(view.name);
    for (const k of codec.joinKeys) {
      if (!(k.name in request.entities))
        throw new TroveError(
          'MISSING_JOIN_KEY',
          `feature view ${view.name} needs join key ${k.name} in the entities`,
        );
      if (!keyTypes.has(k.name)) keyTypes.set(k.name, k.type);
    }
    const sig = codec.joinKeySignature;
    const group = groups.get(sig);
    if (group) group.codecs.push(codec);
    else groups.set(sig, { joinKeys: codec.joinKeys, codecs: [codec] });
  }

  const normalized = new Map<string, unknown[]>();
  for (const name of entityNames) {
    const type = keyTypes.get(name);
    const column = request.entities[name]!;
    normalized.set(
      name,
      type ? column.map((v, i) => normalizeValue(type, v, `entity ${name}, row ${i}`)) : [...column],
    );
  }

  const groupList = [...groups.values()];
  const gets: { key: string; fields: string[] }[] = [];
  for (const group of groupList) {
    const fields = group.codecs.map((c) => c.field);
    const builder = group.codecs[0]!.entityKeys;
    const columns = group.joinKeys.map((k) => normalized.get(k.name)!);
    const values: unknown[] = new Array(columns.length);
    for (let row = 0; row < rowCount; row++) {
      for (let j = 0; j < columns.length; j++) values[j] = columns[j]![row];
      gets.push({ key: keys.entity(builder.text(values)), fields });
    }
  }
  const fetched = await fetchFields(client, gets);

  // decoded[viewName][row]: a row, null (absent) or an Error (undecodable).
  const decoded = new Map<string, (DecodedRow | null | Error)[]>();
  // Formatted once per (view, row), however many of the view's features are asked for.
  const eventTimes = new Map<string, (string | undefined)[]>();
  groupList.forEach((group, g) => {
    group.codecs.forEach((codec, f) => {
      const rows: (DecodedRow | null | Error)[] = new Array(rowCount);
      for (let row = 0; row < rowCount; row++) {
        const raw = fetched[g * rowCount + row]![f];
        if (!raw) rows[row] = null;
        else {
          try {
            rows[row] = codec.decode(raw);
          } catch (err) {
            rows[row] = err as Error;
          }
        }
      }
      decoded.set(codec.view.name, rows);
      eventTimes.set(codec.view.name, new Array(rowCount));
    });
  });

  const feature_names: string[] = [];
  const results: OnlineFeatureColumn[] = [];
  const noTimes = (): string[] => new Array<string>(rowCount).fill(NO_EVENT_TIME);
  for (const name of entityNames) {
    const type = keyTypes.get(name);
    const column = normalized.get(name)!;
    feature_names.push(name);
    results.push({
      values: type ? column.map((v) => presentValue(type, v)) : column,
      statuses: new Array<FeatureStatus>(rowCount).fill('PRESENT'),
      event_timestamps: noTimes(),
    });
  }

  const nowMicros = nowMs * 1000;
  for (const out of outputs) {
    const codec = codecOf(out.view.name);
    const index = codec.indexOf(out.feature.name);
    const ttlMicros = out.view.ttl * 1_000_000;
    const rows = decoded.get(out.view.name)!;
    const times = eventTimes.get(out.view.name)!;
    const column: OnlineFeatureColumn = {
      values: new Array(rowCount),
      statuses: new Array(rowCount),
      event_timestamps: new Array(rowCount),
    };
    for (let row = 0; row < rowCount; row++) {
      const r = rows[row];
      if (r === null || r === undefined) {
        column.values[row] = null;
        column.statuses[row] = 'NOT_FOUND';
        column.event_timestamps[row] = NO_EVENT_TIME;
      } else if (r instanceof Error) {
        column.values[row] = null;
        column.statuses[row] = 'INVALID';
        column.event_timestamps[row] = NO_EVENT_TIME;
      } else {
        let time = times[row];
        if (time === undefined) {
          time = formatMicros(r.eventMicros);
          times[row] = time;
        }
        column.event_timestamps[row] = time;
        const value = r.values[index];
        if (ttlMicros > 0 && nowMicros - ttlMicros > r.eventMicros) {
          column.values[row] = null;
          column.statuses[row] = 'OUTSIDE_MAX_AGE';
        } else {
          column.values[row] = value ?? null;
          column.statuses[row] = value === null || value === undefined ? 'NULL_VALUE' : 'PRESENT';
        }
      }
    }
    feature_names.push(out.outputName);
    results.push(column);
  }
  return { metadata: { feature_names }, results };
}
