/** The short table a command ends with on a terminal: a title, aligned columns, a total row. */

export interface SummaryColumn {
  header: string;
  /** Numbers align right. */
  align?: 'left' | 'right';
}

export interface SummaryTable {
  title: string;
  columns: readonly SummaryColumn[];
  rows: readonly (readonly string[])[];
  /** A last row below a rule, e.g. totals. */
  total?: readonly string[];
}

/** `1234567` as `1,234,567`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A duration for people: `0.42 s`, `12.3 s`, `4 min 05 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/** Units per second, or `-` when no time was measured. */
export function formatRate(count: number, seconds: number): string {
  return seconds > 0 ? formatCount(count / seconds) : '-';
}

/** The table as text lines (no trailing newline), columns two spaces apart. */
export function formatTable(table: SummaryTable): string {
  const all = [table.columns.map((c) => c.header), ...table.rows, ...(table.total ? [table.total] : [])];
  const widths = table.columns.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string =>
    table.columns
      .map((c, i) => {
        const cell = row[i] ?? '';
        const width = widths[i] ?? 0;
        return c.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [
    table.title,
    `  ${line(table.columns.map((c) => c.header))}`,
    `  ${rule}`,
    ...table.rows.map((row) => `  ${line(row)}`),
    ...(table.total ? [`  ${rule}`, `  ${line(table.total)}`] : []),
  ].join('\n');
}
