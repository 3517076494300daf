/**
 * JSON text of online values as Feast clients expect it: int64 as JSON numbers with every digit
 * (never rounded through a JS number), bytes as base64, timestamps as ISO 8601 UTC.
 */
export function onlineJson(value: unknown, indent = 0, depth = 0): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number')
    return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (typeof value !== 'object') return JSON.stringify(value);
  const pad = indent > 0 ? `\n${' '.repeat(indent * (depth + 1))}` : '';
  const end = indent > 0 ? `\n${' '.repeat(indent * depth)}` : '';
  const sep = indent > 0 ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => pad + onlineJson(v, indent, depth + 1)).join(',')}${end}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}${sep}${onlineJson(v, indent, depth + 1)}`).join(',')}${end}}`;
}
