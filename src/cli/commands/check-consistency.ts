import type { Command } from 'commander';
import { TroveError } from '../../errors.ts';
import type { ConsistencyReport } from '../../online/consistency/check-consistency.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';
import { parseCliTime, parseViewList } from './cli-time.ts';

interface ConsistencyCliOptions extends RepoOptions {
  views?: string;
  sample: string;
  at?: string;
  maxMismatch: string;
  json?: boolean;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 3 : 1)}%`;
}

/** The report for people: one line per view, then the examples of disagreement. */
function consistencyText(report: ConsistencyReport): string {
  const header = ['view', 'kind', 'sampled', 'mismatched', 'ratio', 'values', 'differing'];
  const rows = report.views.map((v) => [
    v.view,
    v.kind,
    String(v.sampled),
    String(v.mismatched),
    percent(v.mismatchRatio),
    String(v.valuesCompared),
    String(v.valuesMismatched),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const lines = [
    `Online values against the training join at ${report.at}:`,
    `  ${line(header)}`,
    ...rows.map((r) => `  ${line(r)}`),
  ];
  for (const v of report.views) {
    for (const m of v.examples) {
      const entity = Object.entries(m.entity)
        .map(([k, value]) => `${k}=${value}`)
        .join(' ');
      lines.push(
        `  ${v.view}:${m.feature} ${entity}: online ${m.online} (${m.status}), training join ${m.offline}`,
      );
    }
  }
  const mismatches = report.views.reduce((n, v) => n + v.mismatched, 0);
  lines.push(`${mismatches} mismatch${mismatches === 1 ? '' : 'es'}`);
  return lines.join('\n');
}

/**
 * `trove check-consistency`: for a sample of the entities each view holds online, the online
 * answer against the point-in-time join at the same instant. Exits 1 when a view's mismatch ratio
 * is above `--max-mismatch`.
 */
export function registerCheckConsistencyCommand(program: Command): void {
  withRepoOption(
    program
      .command('check-consistency')
      .description('compare online values with the training join at the same instant')
      .option('--views <names>', 'comma-separated views (default: every online view kept offline)')
      .option('--sample <n>', 'entities sampled per view', '100')
      .option('--at <time>', 'ISO 8601 instant both sides are read at (no zone: UTC)', 'now')
      .option('--max-mismatch <ratio>', 'highest mismatch ratio per view that passes, 0 to 1', '0')
      .option('--json', 'print the report as JSON (as --log-format json does)'),
  ).action(async (options: ConsistencyCliOptions, command: Command) => {
    // The report as JSON with --json, or when JSON output is asked for globally (--log-format json).
    const json =
      options.json === true || command.optsWithGlobals<{ logFormat?: string }>().logFormat === 'json';
    const sample = Number(options.sample);
    if (!/^\d+$/.test(options.sample.trim()) || sample < 1)
      throw new TroveError(
        'INVALID_ARGUMENT',
        `--sample: expected a whole number of at least 1, got ${options.sample}`,
      );
    const maxMismatch = Number(options.maxMismatch);
    if (options.maxMismatch.trim() === '' || !(maxMismatch >= 0 && maxMismatch <= 1))
      throw new TroveError(
        'INVALID_ARGUMENT',
        `--max-mismatch: expected a ratio from 0 to 1, got ${options.maxMismatch}`,
      );
    const at = parseCliTime(options.at ?? 'now', '--at');
    const views = parseViewList(options.views);
    const [{ FeatureStore }, { checkConsistency }] = await Promise.all([
      import('../../feature-store.ts'),
      import('../../online/consistency/check-consistency.ts'),
    ]);
    const store = await FeatureStore.open(options.repo);
    try {
      const report = await checkConsistency(store.config, await store.registry(), store.online(), {
        ...(views ? { views } : {}),
        sample,
        at,
      });
      process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${consistencyText(report)}\n`);
      const over = report.views.filter((v) => v.mismatchRatio > maxMismatch);
      // Thrown after the report is out: the command fails with the reason on one line.
      if (over.length > 0)
        throw new TroveError(
          'INCONSISTENT',
          `online and training values disagree above --max-mismatch ${maxMismatch}: ${over
            .map((v) => `${v.view} ${v.mismatched}/${v.sampled} entities (${percent(v.mismatchRatio)})`)
            .join(', ')}`,
        );
    } finally {
      await store.close();
    }
  });
}
