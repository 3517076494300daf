import type { ReportedResult } from './scenario.ts';

function number(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
}

/** The run's results as a text table: name | value | baseline | ratio | target | pass. */
export function resultsTable(results: readonly ReportedResult[]): string {
  const rows = results.map((r) => [
    r.name,
    `${number(r.value)} ${r.unit}`,
    r.baseline === null ? '-' : `${number(r.baseline)} ${r.unit} (${r.baseline_name})`,
    r.ratio === null ? '-' : r.ratio.toFixed(2),
    r.target === null ? '-' : `${r.higher_is_better ? '>=' : '<='} ${r.target}`,
    r.passed === null ? '-' : r.passed ? 'yes' : 'NO',
  ]);
  const head = ['name', 'value', 'baseline', 'ratio', 'target', 'pass'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}
