import type { Command } from 'commander';
import { TroveError } from '../../errors.ts';
import type { ViewMaterialization } from '../../materialize/materialize.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

/** Options of both materialize commands. */
export interface MaterializeCliOptions extends RepoOptions {
  views?: string;
  wait?: string | true;
}

/** Help of `--wait [SECONDS]`, which both materialize commands take. */
export const WAIT_HELP =
  'wait for views another process is materializing instead of failing: at most SECONDS, or as long as it takes';

/** `--wait [SECONDS]` as the library takes it: false without it, true without SECONDS. */
export function parseWait(value: string | true | undefined): boolean | number {
  if (value === undefined || value === true) return value === true;
  const seconds = Number(value);
  if (value.trim() === '' || !(seconds >= 0) || !Number.isFinite(seconds))
    throw new TroveError(
      'INVALID_ARGUMENT',
      `--wait: expected a number of seconds, got ${value} (to wait as long as it takes, put --wait after the other arguments)`,
    );
  return seconds;
}

export function printMaterialized(results: readonly ViewMaterialization[]): void {
  if (results.length === 0) process.stdout.write('No online views to materialize.\n');
  for (const r of results) {
    process.stdout.write(
      `${r.view}: ${r.rows} rows from ${r.start ?? 'the beginning'} to ${r.end} in ${r.seconds.toFixed(1)} s; watermark ${r.watermark ?? 'unset'}\n`,
    );
  }
}

/**
 * `trove materialize START END [--views a,b] [--wait [SECONDS]]`: offline rows with event time in
 * [START, END] to Redis.
 */
export function registerMaterializeCommand(program: Command): void {
  withRepoOption(
    program
      .command('materialize')
      .description('load offline rows with event time in [START, END] into the online store')
      .argument('<start>', 'ISO 8601 start (UTC without a zone)')
      .argument('<end>', 'ISO 8601 end (UTC without a zone), or now')
      .option('--views <names>', 'comma-separated views (default: every online view)')
      .option('--wait [seconds]', WAIT_HELP),
  ).action(async (start: string, end: string, options: MaterializeCliOptions) => {
    const wait = parseWait(options.wait);
    const [{ FeatureStore }, { parseCliTime, parseViewList }] = await Promise.all([
      import('../../feature-store.ts'),
      import('./cli-time.ts'),
    ]);
    const store = await FeatureStore.open(options.repo);
    try {
      const results = await store.materialize({
        start: parseCliTime(start, 'START'),
        end: parseCliTime(end, 'END'),
        views: parseViewList(options.views),
        wait,
      });
      printMaterialized(results);
    } finally {
      await store.close();
    }
  });
}
