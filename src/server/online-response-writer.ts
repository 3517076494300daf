/**
 * The hot-path serializer of `/get-online-features`: writes Feast's column-oriented answer by hand
 * (no generic object walk) with the same value rules as the rest of the API (see json-writer.ts).
 * Values of float32 columns are written with float32 digits (`float32Text`): 0.1, not the
 * 0.10000000149011612 their double holds.
 */
import { isFloat32Column } from '../online/column-type.ts';
import { float32Text } from '../online/float32-text.ts';
import type { OnlineFeaturesResponse } from '../online/online-response.ts';
import { writeJsonValue } from './json-writer.ts';

function writeStrings(values: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += JSON.stringify(values[i]);
  }
  return `${out}]`;
}

/** A float32 value or list of them; non-finite numbers keep the API's proto3 strings. */
function writeFloat32(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? float32Text(value) : writeJsonValue(value);
  if (!Array.isArray(value)) return writeJsonValue(value);
  if (value.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    out += writeFloat32(value[i]);
  }
  return `${out}]`;
}

export function writeOnlineResponse(response: OnlineFeaturesResponse): string {
  let out = `{"metadata":{"feature_names":${writeStrings(response.metadata.feature_names)}},"results":[`;
  const results = response.results;
  for (let c = 0; c < results.length; c++) {
    const column = results[c]!;
    if (c > 0) out += ',';
    out += '{"values":[';
    const values = column.values;
    if (isFloat32Column(column)) {
      for (let i = 0; i < values.length; i++) {
        if (i > 0) out += ',';
        const v = values[i];
        out += v === null || v === undefined ? 'null' : writeFloat32(v);
      }
    } else {
      for (let i = 0; i < values.length; i++) {
        if (i > 0) out += ',';
        const v = values[i];
        // Scalars dominate; skip the generic dispatch for them.
        if (typeof v === 'number' && Number.isFinite(v)) out += v;
        else if (v === null || v === undefined) out += 'null';
        else out += writeJsonValue(v);
      }
    }
    out += `],"statuses":${writeStrings(column.statuses)},"event_timestamps":${writeStrings(column.event_timestamps)}}`;
  }
  return `${out}]}`;
}
