/**
 * The routes behind the web UI: `/ui/` and its assets (public, with a strict content security
 * policy, telling the page whether keys are required), and `GET /freshness`. The pages themselves
 * are tested in a browser (tests/ui).
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../../src/server/error-handler.ts';
import { uiRoutes } from '../../src/server/routes/ui.ts';
import { zodValidatorCompiler } from '../../src/server/zod-validator-compiler.ts';
import { errorOf, startTestServer, type TestServer } from './server-fixture.ts';

const KEY = 'ui-routes-test-key-0123456789';

let open: TestServer;
let keyed: TestServer;

beforeAll(async () => {
  [open, keyed] = await Promise.all([
    startTestServer(),
    startTestServer({ options: { apiKeys: [{ name: 'reader', key: KEY, scopes: ['read'] }] } }),
  ]);
});

afterAll(async () => {
  await Promise.all([open?.close(), keyed?.close()]);
});

/** The configuration the server wrote into the page. */
function pageConfig(html: string): { authRequired: boolean; endpoints: Record<string, boolean> } {
  const m = /<meta name="trove-config" content="([^"]*)">/.exec(html);
  if (!m?.[1]) throw new Error('no trove-config in the page');
  return JSON.parse(
    m[1]
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  );
}

describe('/ui', () => {
  it('serves the page and its assets without a key, and tells the page that keys are required', async () => {
    const page = await keyed.get('/ui/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(pageConfig(page.text)).toMatchObject({
      authRequired: true,
      endpoints: { stats: expect.any(Boolean) },
    });

    const assets = [...page.text.matchAll(/(?:src|href)="assets\/([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const answer = await keyed.get(`/ui/assets/${asset}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toContain('immutable');
      expect(answer.text.length).toBeGreaterThan(1_000);
    }
    // Data still needs the key.
    expect((await keyed.get('/registry')).status).toBe(401);
    expect((await keyed.get('/registry', { authorization: `Bearer ${KEY}` })).status).toBe(200);
  });

  it('tells the page when no key is needed', async () => {
    expect(pageConfig((await open.get('/ui/')).text).authRequired).toBe(false);
  });

  it('redirects /ui to /ui/, and answers 404 for assets it does not have', async () => {
    const redirect = await open.request('GET', '/ui', undefined, {});
    // fetch follows the redirect to the page.
    expect(redirect.status).toBe(200);
    expect(redirect.text).toContain('trove-config');
    const missing = await open.get('/ui/assets/app-NOPE.js');
    expect([missing.status, errorOf(missing).code]).toEqual([404, 'NOT_FOUND']);
    const traversal = await open.get('/ui/assets/..%2Fpackage.json');
    expect(traversal.status).toBe(400);
  });
});

describe('/ui without a built bundle', () => {
  it('answers 503 UI_NOT_BUILT naming the folder and the command that builds it', async () => {
    const app = Fastify();
    app.setValidatorCompiler(zodValidatorCompiler);
    registerErrorHandler(app);
    const dir = path.join(tmpdir(), `trove-no-ui-${process.pid}`);
    await app.register(uiRoutes, { authRequired: false, assetDir: dir });
    try {
      const answer = await app.inject({ method: 'GET', url: '/ui/' });
      expect(answer.statusCode).toBe(503);
      const error = (answer.json() as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('UI_NOT_BUILT');
      expect(error.message).toContain(dir);
      expect(error.message).toContain('npm run build');
    } finally {
      await app.close();
    }
  });
});

describe('GET /validation and GET /datasets/:id/verify', () => {
  it('answer what the offline store records, under the read scope', async () => {
    const validation = await open.get('/validation');
    expect(validation.status).toBe(200);
    // Nothing was computed in this repo: no record yet.
    expect(validation.json).toMatchObject({ registryVersion: 1, views: [] });
    expect((await keyed.get('/validation')).status).toBe(401);
    expect((await keyed.get('/validation', { authorization: `Bearer ${KEY}` })).status).toBe(200);
    const unknown = await open.get('/datasets/ds-20260101-000000-00000000/verify');
    expect(unknown.status).toBe(404);
    expect((await keyed.get('/datasets/ds-20260101-000000-00000000/verify')).status).toBe(401);
  });
});

describe('GET /freshness', () => {
  it('answers each online view’s newest event time and watermark, null until written', async () => {
    const before = await open.get('/freshness');
    expect(before.status).toBe(200);
    const views = (before.json as { views: { name: string; newestEventTime: unknown; watermark: unknown }[] })
      .views;
    expect(views.map((v) => v.name)).toEqual(['customer_profile', 'driver_hourly_stats', 'driver_profile']);
    expect(views.every((v) => v.newestEventTime === null && v.watermark === null)).toBe(true);

    const pushed = await open.post('/push', {
      push_source_name: 'driver_push',
      df: {
        driver_id: [1001, 1002],
        event_timestamp: ['2026-01-01T10:00:00Z', '2026-01-01T12:30:00Z'],
        created: ['2026-01-01T12:31:00Z', '2026-01-01T12:31:00Z'],
        conv_rate: [0.5, 0.25],
        acc_rate: [0.9, 0.8],
        avg_daily_trips: [3, 4],
        photo: [null, null],
        languages: [['en'], ['fr']],
        rating: [4.5, 4.8],
      },
      to: 'online',
    });
    expect(pushed.status).toBe(200);
    const after = (await open.get('/freshness')).json as {
      views: {
        name: string;
        kind: string;
        ttl: number;
        newestEventTime: string | null;
        watermark: string | null;
      }[];
    };
    expect(after.views.find((v) => v.name === 'driver_hourly_stats')).toEqual({
      name: 'driver_hourly_stats',
      kind: 'batch',
      ttl: 0,
      newestEventTime: '2026-01-01T12:30:00Z',
      // A push writes values, not a materialization watermark.
      watermark: null,
    });
    expect(after.views.find((v) => v.name === 'customer_profile')?.newestEventTime).toBeNull();
  });

  it('needs the read scope', async () => {
    const refused = await keyed.get('/freshness');
    expect([refused.status, errorOf(refused).code]).toEqual([401, 'UNAUTHENTICATED']);
    expect((await keyed.get('/freshness', { authorization: `Bearer ${KEY}` })).status).toBe(200);
  });
});
