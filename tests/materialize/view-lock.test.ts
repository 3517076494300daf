/**
 * The view lock meeting a lock it cannot simply take: a holder killed on this host is taken over at
 * once (and said so), a live one or one elsewhere or of unknown host is not; `wait` waits for it,
 * up to a limit, instead of failing at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.ts';
import { formatLockHolder, type LockHolder, newLockHolder } from '../../src/materialize/lock-holder.ts';
import { materialize } from '../../src/materialize/materialize.ts';
import { ViewLock } from '../../src/materialize/view-lock.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { makeRegistry, openStore, uniquePrefix } from '../online/online-fixture.ts';
import { makeConfig, makeContext, tempDir } from './offline-fixture.ts';

const registry = makeRegistry({
  views: [
    { name: 'stats', entities: ['driver'], source: 'src', features: [{ name: 'trips', type: 'int64' }] },
  ],
});

interface Line {
  message: string;
  fields: Record<string, unknown>;
}

let dir: { dir: string; remove: () => Promise<void> };
let prefix: string;
let store: OnlineStore;
let lockKey: string;
/** A process that stays alive through the tests, and the pid of one that has exited. */
let live: ChildProcess;
let deadPid: number;

function startNode(code: string): ChildProcess {
  return spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
}

beforeAll(async () => {
  live = startNode('setInterval(() => {}, 1000)');
  const dead = startNode('');
  await new Promise((resolve) => dead.on('exit', resolve));
  deadPid = dead.pid!;
});
afterAll(() => {
  live.kill('SIGKILL');
});
beforeEach(async () => {
  dir = await tempDir();
  prefix = uniquePrefix();
  store = openStore(prefix);
  lockKey = store.keys.lock('stats');
});
afterEach(async () => {
  await store.teardown();
  await store.close();
  await dir.remove();
});

/** A lock value as another process would have written it. */
function holderValue(changes: Partial<LockHolder>): string {
  return formatLockHolder({ ...newLockHolder('their-token'), ...changes });
}

function logInto(lines: Line[]) {
  return (message: string, fields: Record<string, unknown>) => lines.push({ message, fields });
}

async function refusal(promise: Promise<unknown>): Promise<ConflictError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConflictError);
  return err as ConflictError;
}

describe('a lock another process left', () => {
  it('is taken over at once when its holder died on this host, and the takeover is logged', async () => {
    const value = holderValue({ pid: deadPid });
    await store.client.set(lockKey, value, 'PX', 30_000);
    const lines: Line[] = [];
    const began = Date.now();
    const lock = await ViewLock.acquire(store, 'stats', { log: logInto(lines) });
    expect(Date.now() - began).toBeLessThan(1000);
    expect(await store.client.get(lockKey)).toBe(lock.value);
    expect(lines).toEqual([
      {
        message: 'took over the lock of a materialization that died',
        fields: expect.objectContaining({ view: 'stats', pid: deadPid }),
      },
    ]);
    await lock.release();
    expect(await store.client.exists(lockKey)).toBe(0);
  });

  it('goes to one of two runs taking it over at the same time', async () => {
    for (let round = 0; round < 5; round++) {
      await store.client.set(lockKey, holderValue({ pid: deadPid }), 'PX', 30_000);
      const runs = await Promise.allSettled([
        ViewLock.acquire(store, 'stats'),
        ViewLock.acquire(store, 'stats'),
      ]);
      const won = runs
        .filter((r) => r.status === 'fulfilled')
        .map((r) => (r as PromiseFulfilledResult<ViewLock>).value);
      expect(won).toHaveLength(1);
      const refused = runs.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(ConflictError);
      expect(await store.client.get(lockKey)).toBe(won[0]!.value);
      await won[0]!.release();
    }
  });

  it('is not taken over when its holder is alive on this host', async () => {
    const value = holderValue({ pid: live.pid! });
    await store.client.set(lockKey, value, 'PX', 30_000);
    const err = await refusal(ViewLock.acquire(store, 'stats'));
    expect(err.code).toBe('MATERIALIZATION_IN_PROGRESS');
    expect(err.message).toMatch(
      new RegExp(
        `^feature view stats is being materialized by another process \\(process ${live.pid} on this host, since .*\\); try again when it is done$`,
      ),
    );
    expect(await store.client.get(lockKey)).toBe(value);
  });

  it('is not taken over when it was taken on another host, even with a pid not alive here', async () => {
    const value = holderValue({ host: 'another-host', pid: deadPid });
    await store.client.set(lockKey, value, 'PX', 30_000);
    const err = await refusal(ViewLock.acquire(store, 'stats'));
    expect(err.message).toMatch(
      /by another process \(process \d+ on host another-host, since .*\); try again when it is done \(its lock lapses 30 s after its holder stops\)$/,
    );
    expect(await store.client.get(lockKey)).toBe(value);
  });

  it('is not taken over when it was taken in another pid namespace of the same host name', async () => {
    const value = holderValue({ pid: deadPid, pidNamespace: 'pid:[1]' });
    await store.client.set(lockKey, value, 'PX', 30_000);
    await refusal(ViewLock.acquire(store, 'stats'));
    expect(await store.client.get(lockKey)).toBe(value);
  });

  it('of an earlier version (a bare token) counts as of an unknown host: waited out until it lapses', async () => {
    await store.client.set(lockKey, 'a-bare-token', 'PX', 400);
    const err = await refusal(ViewLock.acquire(store, 'stats'));
    expect(err.message).toBe(
      'feature view stats is being materialized by another process; try again when it is done (its lock lapses 30 s after its holder stops)',
    );
    expect(await store.client.get(lockKey)).toBe('a-bare-token');
    const began = Date.now();
    const lock = await ViewLock.acquire(store, 'stats', {
      wait: { since: began, until: Number.POSITIVE_INFINITY },
    });
    expect(Date.now() - began).toBeGreaterThanOrEqual(250);
    expect(await store.client.get(lockKey)).toBe(lock.value);
    await lock.release();
  });

  it('is taken over while waited for, as soon as its live holder dies', async () => {
    const holder = startNode('setInterval(() => {}, 1000)');
    await new Promise((resolve) => holder.on('spawn', resolve));
    await store.client.set(lockKey, holderValue({ pid: holder.pid! }), 'PX', 30_000);
    const lines: Line[] = [];
    const waiting = ViewLock.acquire(store, 'stats', {
      wait: { since: Date.now(), until: Number.POSITIVE_INFINITY },
      log: logInto(lines),
    });
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = Date.now();
    holder.kill('SIGKILL');
    const lock = await waiting;
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(lines.map((l) => l.message)).toEqual([
      'waiting for a view another process is materializing',
      'took over the lock of a materialization that died',
    ]);
    await lock.release();
  });
});

describe('materialize with wait', () => {
  it('waits for a live holder and runs once it lets go', async () => {
    const ctx = makeContext(makeConfig(dir.dir, prefix), registry, store);
    const held = await ViewLock.acquire(store, 'stats');
    const lines: Line[] = [];
    const began = Date.now();
    const run = materialize(
      { ...ctx, log: logInto(lines) },
      { start: new Date(0), end: new Date(1000), wait: true },
    );
    await new Promise((r) => setTimeout(r, 600));
    await held.release();
    await expect(run).resolves.toMatchObject([{ view: 'stats' }]);
    expect(Date.now() - began).toBeGreaterThanOrEqual(600);
    expect(lines[0]).toEqual({
      message: 'waiting for a view another process is materializing',
      fields: expect.objectContaining({ view: 'stats', pid: process.pid }),
    });
    expect(await store.client.exists(lockKey)).toBe(0);
  });

  it('gives up after the seconds it was given, with a clear error', async () => {
    const ctx = makeContext(makeConfig(dir.dir, prefix), registry, store);
    const held = await ViewLock.acquire(store, 'stats');
    try {
      const began = Date.now();
      const err = await refusal(materialize(ctx, { start: new Date(0), end: new Date(1000), wait: 0.5 }));
      expect(Date.now() - began).toBeGreaterThanOrEqual(500);
      expect(Date.now() - began).toBeLessThan(2500);
      expect(err.message).toMatch(
        /^feature view stats is being materialized by another process \(process \d+ on this host, since .*\); still held after waiting 0\.\d s$/,
      );
      expect(await store.client.get(lockKey)).toBe(held.value);
    } finally {
      await held.release();
    }
  });

  it('without wait fails at once, as before', async () => {
    const ctx = makeContext(makeConfig(dir.dir, prefix), registry, store);
    const held = await ViewLock.acquire(store, 'stats');
    try {
      const began = Date.now();
      const err = await refusal(materialize(ctx, { start: new Date(0), end: new Date(1000) }));
      expect(Date.now() - began).toBeLessThan(1000);
      expect(err.code).toBe('MATERIALIZATION_IN_PROGRESS');
    } finally {
      await held.release();
    }
  });

  it('stops waiting when its signal aborts', async () => {
    const ctx = makeContext(makeConfig(dir.dir, prefix), registry, store);
    const held = await ViewLock.acquire(store, 'stats');
    try {
      const stop = new AbortController();
      const run = materialize(ctx, {
        start: new Date(0),
        end: new Date(1000),
        wait: true,
        signal: stop.signal,
      });
      await new Promise((r) => setTimeout(r, 200));
      const abortedAt = Date.now();
      stop.abort();
      const err = await refusal(run);
      expect(Date.now() - abortedAt).toBeLessThan(200);
      expect(err.message).toMatch(/still held after waiting/);
    } finally {
      await held.release();
    }
  });

  it('refuses a wait that is no number of seconds', async () => {
    const ctx = makeContext(makeConfig(dir.dir, prefix), registry, store);
    await expect(materialize(ctx, { start: new Date(0), end: new Date(1000), wait: -1 })).rejects.toThrow(
      /wait: expected true or a number of seconds ≥ 0, got -1/,
    );
  });
});
