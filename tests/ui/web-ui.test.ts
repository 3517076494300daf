/**
 * The web UI in a real browser (the system's chromium, driven by puppeteer-core): the bundled
 * example applied, computed and materialized into the real Redis, served with an API key, and every
 * page opened as a user would. With UI_SCREENSHOTS=<dir> (`npm run screenshots`) it also saves a
 * screenshot of each page there and prints how long each took to be ready.
 */

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { buildServer, serverOptionsFromConfig } from '../../src/server/app.ts';
import { copyExampleRepo, makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

const KEY = `ui-test-key-${randomUUID()}`;

/** The few browser globals the page functions use: these tests are typed without the DOM library. */
interface BrowserGlobals {
  document: {
    documentElement: { scrollWidth: number; scrollHeight: number };
    querySelector(
      s: string,
    ): { textContent: string | null; setAttribute(name: string, value: string): void } | null;
  };
  location: { hash: string };
  sessionStorage: { getItem(key: string): string | null };
}
interface CanvasLike {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
const SCREENSHOTS = process.env.UI_SCREENSHOTS;
const HOUR = 3_600_000;

/** Debian's chromium, or the browser CHROMIUM_PATH names; .ci/run installs chromium when missing. */
function chromiumPath(): string {
  const named = process.env.CHROMIUM_PATH;
  if (named) return named;
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser'])
    if (existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    throw new Error('no chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH');
  }
}

let repo: TempRepo;
let store: FeatureStore;
let app: FastifyInstance;
let base: string;
let datasetId: string;
let browser: Browser;
let page: Page;
/** Console errors, page errors and failed requests of `page` (the one holding the key). */
const problems: string[] = [];
const timings: [string, number][] = [];

beforeAll(async () => {
  repo = await makeTempRepo();
  // The data ends three hours ago: every view is fresh, the 1h windows are empty, and the values of
  // the longer windows move only at the hour (their start is rounded to their granularity).
  const end = new Date(Math.floor((Date.now() - 3 * HOUR) / 60_000) * 60_000);
  await copyExampleRepo(repo, 2_000, end);
  const env = {
    ...process.env,
    TROVE_REDIS_KEY_PREFIX: `trove-ui-${randomUUID().slice(0, 8)}`,
    TROVE_API_KEYS: '',
  };
  const config = await loadConfig(repo.dir, env);
  await applyRepo(config);
  store = await FeatureStore.open(repo.dir, { env });
  await store.compute();
  await store.materialize({ start: new Date(end.getTime() - 31 * 24 * HOUR), end: new Date() });
  const dataset = await store.getHistoricalFeatures({
    entities: path.join(repo.dir, 'data', 'training_rows.parquet'),
    service: 'driver_ranking_v2',
    out: path.join(repo.dir, 'training.parquet'),
    name: 'ranking_training',
  });
  datasetId = dataset.manifest.id;
  app = await buildServer(
    store,
    serverOptionsFromConfig(store.config, { apiKeys: [{ name: 'ui', key: KEY, scopes: ['read'] }] }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;

  browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) =>
    problems.push(`page error: ${error instanceof Error ? error.message : error}`),
  );
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} from ${response.url()}`);
  });
  if (SCREENSHOTS) await mkdir(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (store) {
    await store.teardown().catch(() => undefined);
    await store.close();
  }
  await repo?.remove();
  if (SCREENSHOTS) for (const [name, ms] of timings) process.stdout.write(`${name}: ready in ${ms} ms\n`);
});

/**
 * Saves the whole page when screenshots are asked for. The window is first made as tall as the page
 * (a full-page capture resizes it during the capture, and charts redraw after a resize).
 */
async function screenshot(name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  const viewport = page.viewport() ?? { width: 1280, height: 900 };
  const height = await page.evaluate(
    () => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollHeight,
  );
  await page.setViewport({ width: viewport.width, height: Math.max(height, viewport.height) });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  await page.setViewport(viewport);
}

/**
 * Opens `#/<hash>` as a link would (the page loaded once, then only the address changes) and waits
 * until the page named `name` is ready; saves a screenshot if asked.
 */
async function open(hash: string, name: string, shot?: string): Promise<void> {
  const target = `${base}/ui/#/${hash}`;
  if (page.url() === target || (page.url() === `${base}/ui/` && hash === '')) await page.reload();
  else if (page.url().startsWith(`${base}/ui/`)) {
    // The page shown now is marked, so the wait below cannot be met by it.
    await page.evaluate((h) => {
      const g = globalThis as unknown as BrowserGlobals;
      g.document.querySelector('main')?.setAttribute('data-left', '');
      g.location.hash = h;
    }, `#/${hash}`);
  } else await page.goto(target);
  await page.waitForSelector(`main[data-page="${name}"][data-state="ready"]:not([data-left])`, {
    timeout: 30_000,
  });
  if (SCREENSHOTS) timings.push([hash || 'home', await answerTime()]);
  if (shot) await screenshot(shot);
}

/**
 * Milliseconds from the navigation (a page load, or the last change of address) to the page's
 * showing what it loaded, as the page itself marks them: the browser's clock, not the test's.
 */
async function answerTime(): Promise<number> {
  const since = await page.waitForFunction(() => {
    const last = (name: string): number => performance.getEntriesByName(name).at(-1)?.startTime ?? -1;
    const navigated = Math.max(last('trove:navigate'), 0);
    const ready = last('trove:ready');
    return ready >= navigated ? ready - navigated : false;
  });
  return Math.round((await since.jsonValue()) as number);
}

/** Pixels of a canvas that are not transparent: how much a chart drew. */
async function paintedPixels(selector: string): Promise<number> {
  return page.$eval(selector, (canvas) => {
    const c = canvas as unknown as CanvasLike;
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
    return n;
  });
}

async function texts(selector: string): Promise<string[]> {
  return page.$$eval(selector, (nodes) => nodes.map((n) => (n.textContent ?? '').trim()));
}

async function attributes(selector: string, attribute: string): Promise<string[]> {
  return page.$$eval(selector, (nodes, attr) => nodes.map((n) => n.getAttribute(attr) ?? ''), attribute);
}

/** Sets the text of an input as typing would end, in one step (an input event, as Preact listens for). */
async function fill(selector: string, text: string, on: Page = page): Promise<void> {
  await on.$eval(
    selector,
    (input, value) => {
      const field = input as unknown as { value: string; dispatchEvent(e: unknown): boolean };
      field.value = value;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    },
    text,
  );
}

/** Types into the search box of a list and returns the names left. */
async function search(text: string): Promise<string[]> {
  await fill('input[type=search]', text);
  await page.waitForFunction(
    (q) =>
      new URLSearchParams((globalThis as unknown as BrowserGlobals).location.hash.split('?')[1] ?? '').get(
        'q',
      ) === q,
    {},
    text,
  );
  return attributes('table.list tbody tr', 'data-name');
}

describe('the web UI', () => {
  it('without a key asks for one and shows nothing else', async () => {
    const fresh = await browser.createBrowserContext();
    try {
      const other = await fresh.newPage();
      await other.goto(`${base}/ui/#/views`);
      await other.waitForSelector('main[data-page="key"]');
      expect(await other.$$('main')).toHaveLength(1);
      expect(await other.$('nav')).toBeNull();
      const body = await other.$eval('body', (b) => b.innerText);
      expect(body).not.toContain('ride_hailing');
      expect(body).not.toContain('driver_hourly_stats');

      await fill('input[name=api-key]', 'not-the-right-key-at-all', other);
      await other.click('button[type=submit]');
      await other.waitForFunction(() =>
        (globalThis as unknown as BrowserGlobals).document
          .querySelector('#key-help')
          ?.textContent?.includes('does not know'),
      );
      expect(await other.$('nav')).toBeNull();
    } finally {
      await fresh.close();
    }
  });

  it('takes the key once and keeps it for the session', async () => {
    await page.goto(`${base}/ui/`);
    await page.waitForSelector('main[data-page="key"]');
    await fill('input[name=api-key]', KEY);
    await page.click('button[type=submit]');
    await page.waitForSelector('main[data-page="home"][data-state="ready"]');
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as BrowserGlobals).sessionStorage.getItem('trove.apiKey'),
      ),
    ).toBe(KEY);
    await page.reload();
    await page.waitForSelector('main[data-page="home"][data-state="ready"]');
  });

  it('home shows the project, the registry version, the counts and each view’s freshness', async () => {
    await open('', 'home', 'home');
    expect(await attributes('[data-project]', 'data-project')).toEqual(['ride_hailing']);
    expect(await attributes('[data-registry-version]', 'data-registry-version')).toEqual(['1']);
    const counts = await page.$$eval('[data-count-of]', (nodes) =>
      Object.fromEntries(
        nodes.map((n) => [n.getAttribute('data-count-of'), n.querySelector('.n')?.textContent]),
      ),
    );
    expect(counts).toEqual({ entities: '2', sources: '3', views: '5', services: '2' });
    expect(await attributes('table.freshness tbody tr', 'data-view')).toEqual([
      'customer_profile',
      'driver_customer_trips',
      'driver_hourly_stats',
      'driver_trip_stats',
    ]);
    // Materialized three hours after the data's end: fresh by every view's threshold.
    expect(await attributes('table.freshness tbody tr', 'data-stale')).toEqual([
      'false',
      'false',
      'false',
      'false',
    ]);
    // Every stored view's newest compute passed (the example declares no checks that fail).
    expect(await attributes('table.validation tbody tr', 'data-view')).toEqual([
      'customer_profile',
      'driver_customer_trips',
      'driver_hourly_stats',
      'driver_trip_stats',
    ]);
    expect(new Set(await attributes('table.validation tbody tr', 'data-status'))).toEqual(
      new Set(['passed']),
    );
    // Red past the threshold: one hour is less than three for the view without a ttl.
    await fill('input[name=threshold]', '1');
    await page.waitForSelector('tr[data-view="driver_trip_stats"][data-stale="true"]');
  });

  it('a chart draws: the freshness bars on a canvas', async () => {
    await open('', 'home');
    await page.waitForSelector('canvas[data-chart="freshness"]');
    expect(await paintedPixels('canvas[data-chart="freshness"]')).toBeGreaterThan(1_000);
  });

  it('lists entities, and search filters them', async () => {
    await open('entities', 'entities', 'entities');
    expect(await attributes('table.list tbody tr', 'data-name')).toEqual(['customer', 'driver']);
    expect(await search('rider')).toEqual(['customer']);
    expect(await search('nothing-is-called-this')).toEqual([]);
    await open('entities/driver', 'entity', 'entity');
    expect(await texts('table.fields tbody td:first-child')).toEqual(['driver_id']);
    expect(await texts('main a[href^="#/views/"]')).toEqual([
      'driver_customer_trips',
      'driver_hourly_stats',
      'driver_trip_stats',
    ]);
  });

  it('lists sources, and shows which views read each', async () => {
    await open('sources', 'sources', 'sources');
    expect(await attributes('table.list tbody tr', 'data-name')).toEqual([
      'customer_profile_source',
      'driver_stats',
      'trips',
    ]);
    expect(await search('trips')).toEqual(['trips']);
    await open('sources/trips', 'source', 'source');
    expect(await texts('main a[href^="#/views/"]')).toEqual(['driver_customer_trips', 'driver_trip_stats']);
  });

  it('lists views of every kind, and shows each definition', async () => {
    await open('views', 'views', 'views');
    expect(await attributes('table.list tbody tr', 'data-name')).toEqual([
      'customer_profile',
      'driver_customer_trips',
      'driver_hourly_stats',
      'driver_trip_stats',
      'fare_vs_driver_mean',
    ]);
    expect(await search('aggregation')).toEqual(['driver_trip_stats']);
    expect(await search('on demand')).toEqual(['fare_vs_driver_mean']);
    expect(await search('conv_rate')).toEqual(['driver_hourly_stats']);

    await open('views/driver_hourly_stats', 'view', 'view-batch');
    expect(await texts('table.fields tbody td:first-child')).toEqual([
      'conv_rate',
      'acc_rate',
      'avg_daily_trips',
    ]);
    expect(await texts('table.fields tbody td:nth-child(2)')).toEqual(['float32', 'float32', 'int64']);
    expect(await page.$eval('dl.definition', (d) => d.textContent)).toContain('ttl1d');
    expect(await texts('main a[href^="#/services/"]')).toEqual(['driver_ranking_v1', 'driver_ranking_v2']);

    await open('views/driver_trip_stats', 'view', 'view-aggregation');
    const aggregations = await page.$$eval(
      'table',
      (tables) => tables.find((t) => t.caption?.textContent === 'Aggregations')?.innerText,
    );
    expect(aggregations).toContain('1h, 1d, 7d');
    expect(await texts('main a[href="#/views/fare_vs_driver_mean"]')).toEqual(['fare_vs_driver_mean']);

    await open('views/fare_vs_driver_mean', 'view', 'view-on-demand');
    expect(await texts('[data-transform]')).toEqual(['feature-views.ts#fareVsDriverMean.transform']);
    expect(await texts('main a[href="#/views/driver_trip_stats"]')).toEqual([
      'driver_trip_stats:fare_mean_7d',
    ]);
  });

  it('lists services, and shows every feature a service serves', async () => {
    await open('services', 'services', 'services');
    expect(await attributes('table.list tbody tr', 'data-name')).toEqual([
      'driver_ranking_v1',
      'driver_ranking_v2',
    ]);
    expect(await search('fare_ratio')).toEqual(['driver_ranking_v2']);
    await open('services/driver_ranking_v2', 'service', 'service');
    const features = await attributes('tr[data-feature]', 'data-feature');
    expect(features).toHaveLength(11);
    expect(features).toContain('driver_hourly_stats:avg_daily_trips');
    expect(features).toContain('fare_vs_driver_mean:fare_ratio');
  });

  it('draws the lineage graph: source → view → service, with the on-demand view’s inputs', async () => {
    await open('lineage', 'lineage', 'lineage');
    const nodes = await attributes('svg[data-chart="lineage"] [data-node]', 'data-node');
    expect(nodes).toEqual(
      expect.arrayContaining([
        'source:trips',
        'request:fare',
        'view:driver_trip_stats',
        'view:fare_vs_driver_mean',
        'service:driver_ranking_v2',
      ]),
    );
    expect(nodes).toHaveLength(3 + 1 + 5 + 2);
    const edges = await attributes('svg[data-chart="lineage"] [data-edge]', 'data-edge');
    expect(edges).toEqual(
      expect.arrayContaining([
        'source:trips->view:driver_trip_stats',
        'view:driver_trip_stats->view:fare_vs_driver_mean',
        'request:fare->view:fare_vs_driver_mean',
        'view:fare_vs_driver_mean->service:driver_ranking_v2',
      ]),
    );
    const box = await page.$eval('svg[data-chart="lineage"]', (svg) => svg.getBoundingClientRect().width);
    expect(box).toBeGreaterThan(0);
  });

  it('lists training datasets, and shows a dataset’s manifest', async () => {
    await open('datasets', 'datasets', 'datasets');
    expect(await attributes('table.list tbody tr', 'data-name')).toEqual([datasetId]);
    expect(await texts('table.list tbody td:nth-child(2)')).toEqual(['ranking_training']);
    expect(await search('nothing-is-called-this')).toEqual([]);
    expect(await search('ranking')).toEqual([datasetId]);
    await open(`datasets/${datasetId}`, 'dataset', 'dataset');
    expect(await attributes('tr[data-view]', 'data-view')).toEqual(
      expect.arrayContaining(['driver_hourly_stats', 'driver_trip_stats', 'fare_vs_driver_mean']),
    );
    expect(await attributes('tr[data-feature]', 'data-feature')).toContain('fare_ratio');
    await page.click('section.verify button');
    await page.waitForSelector('[data-verified]');
    expect(await attributes('[data-verified]', 'data-verified')).toEqual(['unchanged']);
    await page.waitForSelector('section.dataset-stats');
    expect(await attributes('section.dataset-stats .feature-stats', 'data-feature')).toContain('conv_rate');
  });

  it('the statistics page shows each feature’s statistics, with a histogram drawn', async () => {
    await open('stats?view=driver_hourly_stats', 'stats');
    await page.waitForSelector('section.view-stats[data-state="ready"]');
    expect(await attributes('.feature-stats', 'data-feature')).toEqual([
      'conv_rate',
      'acc_rate',
      'avg_daily_trips',
    ]);
    expect(await attributes('[data-null-fraction]', 'data-null-fraction')).toEqual(['0', '0', '0']);
    expect(await page.$$('.feature-stats canvas')).toHaveLength(3);
    expect(await paintedPixels('canvas[data-chart="histogram conv_rate"]')).toBeGreaterThan(1_000);
    expect(Number((await attributes('p.rows', 'data-rows'))[0])).toBeGreaterThan(0);
    // A range the data does not reach: no rows.
    await page.$eval('input[name=start]', (input) => {
      const field = input as unknown as { value: string; dispatchEvent(e: unknown): boolean };
      field.value = '2100-01-01';
      field.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForSelector('section.view-stats[data-state="ready"] p.rows[data-rows="0"]');
    await page.select('select[name=view]', 'driver_trip_stats');
    await page.$eval('input[name=start]', (input) => {
      const field = input as unknown as { value: string; dispatchEvent(e: unknown): boolean };
      field.value = '';
      field.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForSelector('section.view-stats[data-state="ready"] .feature-stats[data-feature="fare"]');
    await screenshot('stats');
  });

  it('the lookup form answers what POST /get-online-features answers', async () => {
    const body = {
      entities: { driver_id: [1001, 1002, 999], customer_id: [5001, 5002, 4999], fare: [42.5, 18, 10] },
      feature_service: 'driver_ranking_v2',
    };
    const direct = async (): Promise<string[][]> => {
      const response = await fetch(`${base}/get-online-features`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      const answer = (await response.json()) as {
        metadata: { feature_names: string[] };
        results: { values: unknown[]; statuses: string[] }[];
      };
      return answer.metadata.feature_names.flatMap((name, i) =>
        (answer.results[i]?.values ?? []).map((v, row) => [
          String(row),
          name,
          v === null ? 'null' : String(v),
          answer.results[i]?.statuses[row] ?? '',
        ]),
      );
    };

    await open('lookup', 'lookup', 'lookup-empty');
    await page.select('select[name=service]', 'driver_ranking_v2');
    await fill('input[name=driver_id]', '1001, 1002, 999');
    await fill('input[name=customer_id]', '5001, 5002, 4999');
    await fill('input[name=fare]', '42.5, 18, 10');
    const before = await direct();
    await page.click('form.lookup button[type=submit]');
    await page.waitForSelector('section.results[data-rows="3"]');
    const after = await direct();
    await screenshot('lookup');
    const shown = await page.$$eval('table.lookup-result', (tables) =>
      tables.flatMap((table) =>
        [...table.querySelectorAll('tbody tr')].map((tr) => [
          table.getAttribute('data-row') ?? '',
          tr.getAttribute('data-feature') ?? '',
          tr.querySelector('[data-value]')?.getAttribute('data-value') ?? '',
          tr.querySelector('[data-status]')?.getAttribute('data-status') ?? '',
        ]),
      ),
    );
    const sorted = (rows: string[][]): string[][] =>
      [...rows].sort((a, b) => a.join('|').localeCompare(b.join('|')));
    // Both reads bracket the form's: they differ only if an hour boundary passed in between.
    expect([sorted(before), sorted(after)]).toContainEqual(sorted(shown));
    expect(shown).toHaveLength(3 * 14);
    expect(shown.filter(([, , , status]) => status === 'PRESENT').length).toBeGreaterThan(20);
    expect(shown).toContainEqual(['2', 'conv_rate', 'null', 'NOT_FOUND']);
  });

  it('the lookup form reads chosen features, and refuses a key that is not of its type', async () => {
    await open('lookup', 'lookup');
    await page.click('input[name=mode][value=features]');
    await page.waitForSelector('fieldset.feature-picker');
    await page.$eval('input[name=feature][value="driver_hourly_stats:conv_rate"]', (box) => {
      (box as unknown as { click(): void }).click();
    });
    await page.waitForSelector('input[name=driver_id]');
    expect(await page.$('input[name=customer_id]')).toBeNull();
    await fill('input[name=driver_id]', 'ten');
    await page.click('form.lookup button[type=submit]');
    await page.waitForSelector('.error-note');
    expect(await texts('.error-note')).toEqual(['INPUT: driver_id: "ten" is not a whole number']);
    await fill('input[name=driver_id]', '1001');
    await page.click('form.lookup button[type=submit]');
    await page.waitForSelector('section.results[data-rows="1"]');
    expect(await attributes('table.lookup-result tr[data-feature]', 'data-feature')).toEqual([
      'driver_id',
      'conv_rate',
    ]);
  });

  it('fits 400 px: no page is wider than the screen', async () => {
    await page.setViewport({ width: 400, height: 800 });
    try {
      for (const [hash, name, shot] of [
        ['', 'home', 'home-400px'],
        ['views', 'views', undefined],
        ['views/driver_trip_stats', 'view', undefined],
        ['lineage', 'lineage', undefined],
        ['stats', 'stats', undefined],
        [`datasets/${datasetId}`, 'dataset', undefined],
        ['lookup', 'lookup', undefined],
      ] as const) {
        await open(hash, name, shot);
        const width = await page.evaluate(
          () => (globalThis as unknown as BrowserGlobals).document.documentElement.scrollWidth,
        );
        expect(width, `#/${hash} at 400 px`).toBeLessThanOrEqual(400);
      }
    } finally {
      await page.setViewport({ width: 1280, height: 900 });
    }
  });

  it('no page logged a console error or failed a request', () => {
    expect(problems).toEqual([]);
  });
});
