import { isFloat32Column } from './column-type.ts';
import { float32Text } from './float32-text.ts';
import type { OnlineFeatureColumn } from './online-response.ts';

/**
 * JSON text of online values as Feast clients expect it: int64 as JSON numbers with every digit
 * (never rounded through a JS number), bytes as base64, timestamps as ISO 8601 UTC, and the values
 * of float32 feature columns of an online answer with float32 digits (0.432333, not
 * 0.43233299255371094).
 */
export function onlineJson(value: unknown, indent = 0, depth = 0, float32 = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return JSON.stringify(String(value));
    return float32 ? float32Text(value) : JSON.stringify(value);
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (typeof value !== 'object') return JSON.stringify(value);
  const pad = indent > 0 ? `\n${' '.repeat(indent * (depth + 1))}` : '';
  const end = indent > 0 ? `\n${' '.repeat(indent * depth)}` : '';
  const sep = indent > 0 ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => pad + onlineJson(v, indent, depth + 1, float32)).join(',')}${end}]`;
  }
  const asFloat32 = (key: string) => key === 'values' && isFloat32Column(value as OnlineFeatureColumn);
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}${sep}${onlineJson(v, indent, depth + 1, asFloat32(k))}`).join(',')}${end}}`;
}
