import type { Command } from 'commander';
import type { ComputeProgress } from '../../offline/compute-views.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

interface ComputeCliOptions extends RepoOptions {
  views?: string;
  start?: string;
  end?: string;
}

/** A progress reporter: a bar on a terminal, one JSON line per step otherwise (for logs and CI). */
async function progressReporter(): Promise<{ onProgress: (e: ComputeProgress) => void; stop: () => void }> {
  if (!process.stderr.isTTY) {
    return {
      onProgress: (e) =>
        process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`),
      stop: () => {},
    };
  }
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format: 'compute [{bar}] {value}/{total} views | {view} {status}', stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: (e) => {
      if (!started) {
        bar.start(e.total, 0, { view: e.view, status: '' });
        started = true;
      }
      if (e.step === 'start') bar.update(e.index, { view: e.view, status: 'reading source' });
      if (e.step === 'staged') bar.update({ view: e.view, status: `swapping ${e.partitions} partitions` });
      if (e.step === 'done') bar.update(e.index + 1, { view: e.view, status: `${e.rows} rows` });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** `trove compute`: computes feature views into the offline store, optionally over a time range. */
export function registerComputeCommand(program: Command): void {
  withRepoOption(
    program
      .command('compute')
      .description('compute feature views into the offline store')
      .option('--views <names>', 'comma-separated views (default: all offline views)')
      .option('--start <time>', 'ISO 8601 start of the event-time range, inclusive (no zone: UTC)')
      .option('--end <time>', 'ISO 8601 end of the event-time range, exclusive (no zone: UTC)'),
  ).action(async (options: ComputeCliOptions) => {
    const { FeatureStore } = await import('../../feature-store.ts');
    const store = await FeatureStore.open(options.repo);
    const progress = await progressReporter();
    try {
      const views = options.views
        ?.split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      const results = await store.compute({
        ...(views ? { views } : {}),
        ...(options.start !== undefined ? { start: options.start } : {}),
        ...(options.end !== undefined ? { end: options.end } : {}),
        onProgress: progress.onProgress,
      });
      progress.stop();
      for (const r of results) {
        process.stdout.write(`${r.view}: ${r.rows} rows in ${r.partitions.length} partitions\n`);
      }
    } finally {
      progress.stop();
      await store.close();
    }
  });
}
