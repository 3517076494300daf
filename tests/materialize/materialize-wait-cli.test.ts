/**
 * `--wait [SECONDS]` of `trove materialize` and `trove materialize-incremental`, run as a user
 * would, against a view whose lock this test process holds (a live holder on the same host).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import { generateExampleData } from '../../src/example/generate-example-data.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { ViewLock } from '../../src/materialize/view-lock.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, PROJECT_ROOT, type TempRepo } from '../helpers/temp-repo.ts';

const VIEW = 'customer_profile';
const START = '2025-12-01T00:00:00Z';
const END = '2026-01-01T00:00:00Z';
const BIN = path.join(PROJECT_ROOT, 'bin', 'trove.mjs');
/** Far past any wait here: a run that waited when it should not have is killed, not hung. */
const LIMIT_MS = 45_000;

let repo: TempRepo;
let store: FeatureStore;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  repo = await makeTempRepo();
  // The YAML example `trove init` writes.
  for (const file of ['trove.yaml', 'ride_hailing.yaml', 'transforms.ts'])
    await cp(path.join(PROJECT_ROOT, 'templates', 'init', file), path.join(repo.dir, file));
  await generateExampleData(path.join(repo.dir, 'data'), { rows: 500 });
  env = { TROVE_REDIS_KEY_PREFIX: `trove-wait-${randomUUID().slice(0, 8)}` };
  await applyRepo(await loadConfig(repo.dir, { ...process.env, ...env }));
  store = await FeatureStore.open(repo.dir, { env: { ...process.env, ...env } });
  await store.compute({ views: [VIEW] });
});
afterAll(async () => {
  if (store) {
    await store.teardown();
    await store.close();
  }
  await repo?.remove();
});

/** Does `work` while this process holds the view's lock. */
async function whileHeld<T>(work: () => Promise<T>): Promise<T> {
  const lock = await ViewLock.acquire(store.online(), VIEW);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

function trove(...args: string[]) {
  return runCli([...args, '--views', VIEW, '--repo', repo.dir], env, { timeoutMs: LIMIT_MS });
}

describe('trove materialize while another process materializes the view', () => {
  it('without --wait fails at once, as before', async () => {
    const result = await whileHeld(() => trove('materialize', START, END));
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `trove: feature view ${VIEW} is being materialized by another process \\(process ${process.pid} on this host, since [^)]+\\); try again when it is done\\n$`,
      ),
    );
  });

  it('with --wait waits until the holder lets go, then materializes', async () => {
    const lock = await ViewLock.acquire(store.online(), VIEW);
    const child = spawn(
      process.execPath,
      [BIN, 'materialize', START, END, '--wait', '--views', VIEW, '--repo', repo.dir],
      {
        env: { ...process.env, ...env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Let go only once it says it is waiting, then a little longer: it must not have gone ahead.
    const waiting = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), LIMIT_MS);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        if (stderr.includes('"msg":"waiting for a view another process is materializing"')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(stdout).toBe('');
    await lock.release();
    expect(waiting, stderr).toBe(true);
    expect(await exited, stderr).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${VIEW}: \\d+ rows from `));
  });

  it('with --wait SECONDS gives up after them with a clear message', async () => {
    const result = await whileHeld(() => trove('materialize', START, END, '--wait', '1'));
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `trove: feature view ${VIEW} is being materialized by another process \\(process ${process.pid} on this host, since [^)]+\\); still held after waiting 1\\.\\d s\\n$`,
      ),
    );
  });

  it('materialize-incremental takes --wait SECONDS too', async () => {
    const result = await whileHeld(() => trove('materialize-incremental', END, '--wait', '0.5'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/still held after waiting 0\.\d s\n$/);
  });

  it('refuses a --wait that is no number of seconds', async () => {
    const result = await trove('materialize', START, END, '--wait', 'soon');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'trove: --wait: expected a number of seconds, got soon (to wait as long as it takes, put --wait after the other arguments)\n',
    );
  });
});
