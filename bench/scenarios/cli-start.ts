/**
 * Start-up of the `trove` command, as wall time of the whole process (spawn to exit), beside
 * `node -e 0` timed the same way in the same run: `trove --help`, and `trove online` reading one
 * driver's features from the example repo (made by `trove init`, applied, computed and
 * materialized under a key prefix of its own). Scripts call these in loops, so every process pays
 * it. Targets are absolute budgets (0.3 s and 0.8 s): each command gets one figure against
 * `node -e 0` (no target: what Node itself costs) and one against its budget (ratio ≤ 1).
 * The commands alternate over the repetitions, and medians are reported.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { figure } from '../figure.ts';
import { median } from '../measure.ts';
import { REDIS_URL } from '../online-bench-common.ts';
import type { BenchResult, Scenario } from '../scenario.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'trove.mjs');
const BUDGETS = { help: 0.3, online: 0.8 };

/** Runs a process to its end; resolves to its wall time in seconds, or throws on failure. */
function wallSeconds(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr.split('\n')[0]}`);
  return seconds;
}

export const scenario: Scenario = {
  name: 'cli.start',
  description: 'wall time of `trove --help` and `trove online` against `node -e 0`',
  async run(ctx): Promise<BenchResult[]> {
    const repo = path.join(ctx.workDir, 'repo');
    const prefix = `bench-cli-${randomUUID().slice(0, 8)}`;
    const env = { ...process.env, REDIS_URL, TROVE_REDIS_KEY_PREFIX: prefix };
    await rm(repo, { recursive: true, force: true });
    const setup = [
      ['init', repo, '--rows', '2000'],
      ['apply', '--repo', repo],
      ['compute', '--repo', repo],
      ['materialize', '2000-01-01T00:00:00Z', 'now', '--repo', repo],
    ];
    for (const args of setup) wallSeconds([BIN, ...args], env);
    const commands = {
      node: ['-e', '0'],
      help: [BIN, '--help'],
      online: [
        BIN,
        'online',
        '--repo',
        repo,
        '--entity',
        'driver_id=1001',
        '--entity',
        'customer_id=5001',
        '--service',
        'driver_ranking_v1',
      ],
    };
    const online = spawnSync(process.execPath, commands.online, { env, encoding: 'utf8' });
    if (!online.stdout.includes('"PRESENT"'))
      throw new Error(`trove online read nothing: ${online.stdout}${online.stderr.split('\n')[0]}`);

    const times: Record<keyof typeof commands, number[]> = { node: [], help: [], online: [] };
    const reps = ctx.quick ? 7 : 21;
    try {
      for (let i = 0; i < reps; i++) {
        for (const name of Object.keys(commands) as (keyof typeof commands)[]) {
          times[name].push(wallSeconds(commands[name], env));
        }
      }
    } finally {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.quit();
      await rm(repo, { recursive: true, force: true });
    }
    const node = median(times.node);
    ctx.log(`node -e 0 ${node.toFixed(3)} s, over ${reps} runs each`);
    const results: BenchResult[] = [];
    for (const name of ['help', 'online'] as const) {
      const value = median(times[name]);
      const label = name === 'help' ? 'trove --help' : 'trove online (example, 1 driver)';
      ctx.log(`${label} ${value.toFixed(3)} s`);
      results.push(
        figure({
          name: `${label}, wall s`,
          value,
          unit: 's',
          baseline: node,
          baseline_name: 'node -e 0',
          higher_is_better: false,
          target: null,
        }),
        figure({
          name: `${label}, wall s within ${BUDGETS[name]} s`,
          value,
          unit: 's',
          baseline: BUDGETS[name],
          baseline_name: `budget ${BUDGETS[name]} s`,
          higher_is_better: false,
          target: 1,
        }),
      );
    }
    return results;
  },
};
