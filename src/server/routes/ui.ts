/**
 * The web UI at `/ui/`: the static bundle `npm run build` writes to dist/ui (scripts/build-ui.ts),
 * served from memory. The page and its assets are public, since a browser cannot send a key with a
 * navigation and they hold no data; every call the page makes goes through the API with the key
 * the user entered, under the same auth hook as any client. The page is told whether keys are
 * required and which optional endpoints this server has, so it never probes with failing requests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, TroveError } from '../../errors.ts';
import { PACKAGE_ROOT } from '../../package-root.ts';

/** The UI reads nothing of the store itself: its page calls the API like any client. */
export interface UiRouteOptions {
  /** Whether the API needs a key: the page then asks for one before showing anything. */
  authRequired: boolean;
  /** Where the built bundle is; dist/ui of the package by default. */
  assetDir?: string;
}

/** Endpoints the UI uses when the server has them; each page says "not available" otherwise. */
const OPTIONAL_ENDPOINTS = {
  stats: '/feature-views/:name/stats',
  datasets: '/datasets',
  datasetStats: '/datasets/:id/stats',
  verify: '/datasets/:id/verify',
  validation: '/validation',
  drift: '/feature-views/:name/drift',
} as const;

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** Scripts and styles from this server only; data only from this API. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Inline styles only through the CSSOM (Preact, Chart.js), which this allows; no style attributes.
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

interface Bundle {
  index: string;
  assets: Map<string, { body: Buffer; type: string }>;
}

function loadBundle(dir: string): Bundle | undefined {
  let index: string;
  try {
    index = readFileSync(path.join(dir, 'index.html'), 'utf8');
  } catch {
    return undefined;
  }
  const assets = new Map<string, { body: Buffer; type: string }>();
  const assetDir = path.join(dir, 'assets');
  let names: string[];
  try {
    names = readdirSync(assetDir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type) assets.set(name, { body: readFileSync(path.join(assetDir, name)), type });
  }
  return { index, assets };
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function availableEndpoints(app: FastifyInstance): Record<keyof typeof OPTIONAL_ENDPOINTS, boolean> {
  const out = {} as Record<keyof typeof OPTIONAL_ENDPOINTS, boolean>;
  for (const [name, url] of Object.entries(OPTIONAL_ENDPOINTS) as [keyof typeof OPTIONAL_ENDPOINTS, string][])
    out[name] = app.hasRoute({ method: 'GET', url });
  return out;
}

const assetParams = z.object({ file: z.string().regex(/^[\w.-]+$/, 'expected an asset file name') });

export const uiRoutes: FastifyPluginAsyncZod<UiRouteOptions> = async (app, options) => {
  const dir = options.assetDir ?? path.join(PACKAGE_ROOT, 'dist', 'ui');
  let bundle: Bundle | undefined;
  const current = (): Bundle => {
    bundle ??= loadBundle(dir);
    if (!bundle)
      throw new TroveError(
        'UI_NOT_BUILT',
        `the web UI is not built (no ${path.join(dir, 'index.html')}): run npm run build`,
        503,
      );
    return bundle;
  };
  let page: string | undefined;

  app.get('/ui', { config: { scope: 'public' } }, async (_request, reply) => reply.redirect('/ui/'));

  app.get('/ui/', { config: { scope: 'public' } }, async (_request, reply) => {
    // Built on the first request, once every route plugin is registered.
    page ??= current().index.replace(
      '<!--trove-config-->',
      `<meta name="trove-config" content="${escapeAttribute(
        JSON.stringify({ authRequired: options.authRequired, endpoints: availableEndpoints(app) }),
      )}">`,
    );
    return reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(page);
  });

  app.get(
    '/ui/assets/:file',
    { schema: { params: assetParams }, config: { scope: 'public' } },
    async (request, reply) => {
      const asset = current().assets.get(request.params.file);
      if (!asset) throw new NotFoundError('NOT_FOUND', `no UI asset ${request.params.file}`);
      return reply
        .headers({
          'x-content-type-options': 'nosniff',
          // Asset names carry a hash of their content.
          'cache-control': 'public, max-age=31536000, immutable',
        })
        .type(asset.type)
        .send(asset.body);
    },
  );
};
