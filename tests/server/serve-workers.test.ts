/**
 * `trove serve --workers 2`: two processes answer on one port, `/metrics` counts the requests
 * both served, whichever worker the scrape reaches, and SIGTERM stops them all cleanly.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'trove.mjs');
const REQUESTS = 20;

let repo: TempRepo;

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', 'project: workers_test\n');
});

afterAll(async () => {
  await repo?.remove();
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A GET on a connection of its own (the primary hands each new connection to the next worker). */
function get(port: number, route: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: route, agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
}

/** The count of 200 answers to GET /health in a Prometheus text exposition. */
function healthCount(text: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith('trove_http_request_duration_seconds_count{') && l.includes('route="/health"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('trove serve --workers', () => {
  it('serves from 2 workers and sums their requests on /metrics', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--repo', repo.dir, '--port', String(port), '--workers', '2', '--log-level', 'info'],
      { env: { ...process.env, TROVE_API_KEYS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const workerPids = () =>
        new Set(
          [...output.matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1])).filter((pid) => pid !== child.pid),
        );
      // A worker's own "listening" line can reach the output after the primary's "all workers
      // serve": each process writes its log on its own.
      for (let i = 0; i < 300 && !(output.includes('all workers serve') && workerPids().size >= 2); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(output).toContain('"workers":2');
      expect(workerPids().size, output).toBe(2);

      for (let i = 0; i < REQUESTS; i++) expect((await get(port, '/health')).status).toBe(200);
      // Each scrape may reach either worker; each answers with the sum over both.
      for (let i = 0; i < 4; i++) {
        const metrics = await get(port, '/metrics');
        expect(metrics.status).toBe(200);
        expect(healthCount(metrics.text)).toBe(REQUESTS);
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a worker count that is not a whole number from 1 to 256', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--repo', repo.dir, '--workers', 'two'], {
      env: { ...process.env, TROVE_API_KEYS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(stderr).toMatch(/--workers: expected a whole number from 1 to 256, got two/);
  });
});
