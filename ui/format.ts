/** How times, durations and values are shown. */

const UNITS: [number, string][] = [
  [86_400, 'd'],
  [3_600, 'h'],
  [60, 'm'],
  [1, 's'],
];

/** Seconds as the largest whole unit that divides them (`86400` → `1d`), as definitions write them. */
export function duration(seconds: number): string {
  if (seconds === 0) return 'none';
  for (const [size, unit] of UNITS) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/** An age in seconds, rounded to its largest unit: `3 h`, `12 d`. */
export function age(seconds: number): string {
  const abs = Math.abs(seconds);
  const text =
    abs < 60
      ? `${Math.round(abs)} s`
      : abs < 3_600
        ? `${Math.round(abs / 60)} min`
        : abs < 172_800
          ? `${(abs / 3_600).toFixed(abs < 36_000 ? 1 : 0)} h`
          : `${Math.round(abs / 86_400)} d`;
  return seconds < 0 ? `in ${text}` : text;
}

/** An ISO instant as `2026-01-01 12:00:00 UTC`. */
export function instant(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A feature value as text: null, bigints with every digit, lists and objects as JSON. */
export function value(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}
