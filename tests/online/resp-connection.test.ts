/**
 * The online store's own connection against a private redis-server that the tests stop, stall and
 * restart: every command settles in bounded time, a missing Redis fails fast, and service comes
 * back by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServerProcess } from '../../drills/support/redis-server-process.ts';
import { RespConnection, RespConnectionError } from '../../src/online/resp/resp-connection.ts';
import { RespError } from '../../src/online/resp/resp-reply.ts';

const TIMEOUT_MS = 300;

describe('RESP connection', () => {
  let redis: RedisServerProcess;
  beforeAll(async () => {
    redis = await RedisServerProcess.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  const connect = (url = redis.url) =>
    new RespConnection({ url, connectTimeoutMs: TIMEOUT_MS, commandTimeoutMs: TIMEOUT_MS });

  it('sends commands and batches, and reports error replies as values in a batch', async () => {
    const c = connect();
    try {
      expect(await c.send(['SET', 'k', 'v'])).toBe('OK');
      expect((await c.send(['GET', 'k'])) as Buffer).toEqual(Buffer.from('v'));
      const replies = await c.batch(3, (w) => {
        w.command(['INCR', 'n']);
        w.command(['HGET', 'k', 'f']); // wrong type
        w.command(['INCR', 'n']);
      });
      expect(replies[0]).toBe(1);
      expect(replies[1]).toBeInstanceOf(RespError);
      expect(replies[2]).toBe(2);
      await expect(c.send(['HGET', 'k', 'f'])).rejects.toThrow(/WRONGTYPE/);
    } finally {
      await c.close();
    }
  });

  it("writes a turn's commands a few at a time, so Redis starts before the turn ends", async () => {
    const c = connect();
    try {
      await c.send(['PING']);
      const before = c.writes;
      // 20 single commands in one turn: two full groups of 8 leave at once, the rest at the turn's end.
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => c.send(['ECHO', String(i)])));
      expect(replies.map((r) => String(r))).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      expect(c.writes - before).toBe(3);
      // A batch is one write however many commands it holds.
      const batchBefore = c.writes;
      await c.batch(50, (w) => {
        for (let i = 0; i < 50; i++) w.command(['ECHO', String(i)]);
      });
      expect(c.writes - batchBefore).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('times out every command of a stalled Redis, and drops the connection when it stays stalled', async () => {
    const c = connect();
    try {
      await c.send(['PING']);
      redis.pause();
      const started = Date.now();
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => c.send(['PING'])));
      const elapsed = Date.now() - started;
      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
      expect(elapsed).toBeLessThan(TIMEOUT_MS + 200);
      // Past twice the timeout the connection is given up, so waiting commands cannot pile up.
      await new Promise((r) => setTimeout(r, 2 * TIMEOUT_MS + 100));
      expect(c.pending).toBe(0);
    } finally {
      redis.resume();
    }
    expect(await c.send(['PING'])).toBe('PONG');
    await c.close();
  });

  it('fails fast while Redis is down and serves again as soon as it is back', async () => {
    const c = connect();
    try {
      await c.send(['PING']);
      await redis.kill();
      await expect(c.send(['PING'])).rejects.toBeInstanceOf(RespConnectionError);
      const started = Date.now();
      await expect(c.send(['PING'])).rejects.toBeInstanceOf(RespConnectionError);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 100);
      await redis.startProcess();
      const back = Date.now();
      let answered = false;
      while (!answered && Date.now() - back < 2000) {
        answered = await c.send(['PING']).then(
          () => true,
          () => false,
        );
        if (!answered) await new Promise((r) => setTimeout(r, 20));
      }
      expect(answered).toBe(true);
      expect(Date.now() - back).toBeLessThan(500);
    } finally {
      await c.close();
    }
  });

  it('says why when Redis refuses the credentials', async () => {
    const c = connect(redis.url.replace('redis://', 'redis://nobody:wrong@'));
    try {
      await expect(c.send(['PING'])).rejects.toThrow(/refused the connection: WRONGPASS/);
    } finally {
      await c.close();
    }
  });
});
