/** Read-only registry endpoints, and `trove serve` as a process: start, serve, stop on SIGTERM. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, REDIS_URL, startTestServer, type TestServer } from './server-fixture.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

describe('registry endpoints', () => {
  it('list and get every kind; 404 for unknown names', async () => {
    const registry = await server.get('/registry');
    expect(registry.status).toBe(200);
    expect(registry.json).toMatchObject({ version: 1, objects: { featureViews: expect.any(Array) } });
    const cases = [
      ['/entities', 'entities', 'driver', 'UNKNOWN_ENTITY'],
      ['/data-sources', 'dataSources', 'driver_push', 'UNKNOWN_DATA_SOURCE'],
      ['/feature-views', 'featureViews', 'driver_hourly_stats', 'UNKNOWN_FEATURE_VIEW'],
      ['/feature-services', 'featureServices', 'driver_ranking_v1', 'UNKNOWN_FEATURE_SERVICE'],
    ] as const;
    for (const [url, key, name, code] of cases) {
      const list = await server.get(url);
      expect(list.status).toBe(200);
      const items = (list.json as Record<string, { name: string }[]>)[key]!;
      expect(items.map((i) => i.name)).toContain(name);
      const one = await server.get(`${url}/${name}`);
      expect([one.status, (one.json as { name: string }).name]).toEqual([200, name]);
      const missing = await server.get(`${url}/nope`);
      expect([missing.status, errorOf(missing).code]).toEqual([404, code]);
    }
    const view = (await server.get('/feature-views/driver_profile')).json;
    expect(view).toMatchObject({
      ttl: 3600,
      features: [{ name: 'photo', type: 'bytes' }, expect.anything(), expect.anything()],
    });
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('trove serve', () => {
  it('serves the repo and stops cleanly on SIGTERM, finishing requests under way', async () => {
    const port = await freePort();
    const bin = path.resolve(import.meta.dirname, '..', '..', 'bin', 'trove.mjs');
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--repo', server.repoDir, '--port', String(port), '--log-level', 'warn'],
      {
        env: {
          ...process.env,
          REDIS_URL,
          TROVE_API_KEYS: '',
          TROVE_REDIS_KEY_PREFIX: `trove-test-serve-${port}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const base = `http://127.0.0.1:${port}`;
    let health: Response | undefined;
    for (let i = 0; i < 100 && !health; i++) {
      health = await fetch(`${base}/health`).catch(() => undefined);
      if (!health) await new Promise((r) => setTimeout(r, 100));
    }
    expect(health?.status, stderr).toBe(200);
    // A request under way when the signal comes: its body is still arriving.
    const body = JSON.stringify({
      entities: { driver_id: [1] },
      features: ['driver_hourly_stats:conv_rate'],
    });
    let sendRest: () => void = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 10)));
        sendRest = () => {
          controller.enqueue(new TextEncoder().encode(body.slice(10)));
          controller.close();
        };
      },
    });
    const inFlight = fetch(`${base}/get-online-features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: stream,
      duplex: 'half',
    } as RequestInit).then((r) => r.status);
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    sendRest();
    expect(await inFlight).toBe(200);
    expect(await exited).toBe(0);
  });

  it('refuses a non-loopback bind without keys, with a one-line reason', async () => {
    const bin = path.resolve(import.meta.dirname, '..', '..', 'bin', 'trove.mjs');
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--repo', server.repoDir, '--host', '0.0.0.0', '--port', '0'],
      {
        env: { ...process.env, TROVE_API_KEYS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^trove: refusing to serve on 0\.0\.0\.0 without API keys/);
  });
});
