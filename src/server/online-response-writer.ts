/**
 * The hot-path serializer of `/get-online-features`: writes Feast's column-oriented answer by hand
 * (no generic object walk) with the same value rules as the rest of the API (see json-writer.ts).
 */
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

export function writeOnlineResponse(response: OnlineFeaturesResponse): string {
  let out = `{"metadata":{"feature_names":${writeStrings(response.metadata.feature_names)}},"results":[`;
  const results = response.results;
  for (let c = 0; c < results.length; c++) {
    const column = results[c]!;
    if (c > 0) out += ',';
    out += '{"values":[';
    const values = column.values;
    for (let i = 0; i < values.length; i++) {
      if (i > 0) out += ',';
      const v = values[i];
      // Scalars dominate; skip the generic dispatch for them.
      if (typeof v === 'number' && Number.isFinite(v)) out += v;
      else if (v === null || v === undefined) out += 'null';
      else out += writeJsonValue(v);
    }
    out += `],"statuses":${writeStrings(column.statuses)},"event_timestamps":${writeStrings(column.event_timestamps)}}`;
  }
  return `${out}]}`;
}
