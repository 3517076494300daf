/**
 * API keys against every route of `trove serve`, with keys configured by TROVE_API_KEYS. The routes
 * come from the app as built (drills/support/route-table.ts), so a route added later is covered or
 * the drill fails. For each route: no key, unknown keys, keys one character or one length off, keys
 * in malformed or unparseable headers and keys of too small a scope are refused with the API's
 * error shape, and refused writes leave Redis and the offline store exactly as they were; the right
 * key, in every form the server accepts, is let in and has its effect. Last, the server's whole log
 * (at trace level, so debug too) and every answer are searched for the keys and transformations.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { OnlineKeys } from '../src/online/online-keys.ts';
import { copyExampleRepo } from '../tests/helpers/temp-repo.ts';
import { check, type Drill, type DrillCheck, type DrillContext, type DrillResult } from './drill.ts';
import {
  acceptedForms,
  apiKeyHeader,
  bearer,
  type Header,
  leakNeedles,
  malformedForms,
  nearMisses,
  newKey,
} from './support/api-key-variants.ts';
import { ApiServerProcess } from './support/api-server-process.ts';
import { openDrillScratch } from './support/drill-scratch.ts';
import { type Attempt, attemptsSummary, type Expectation, HttpAttempts } from './support/http-attempts.ts';
import { type RouteEntry, routeName, routeTable } from './support/route-table.ts';
import { type StateSnapshot, snapshotChanges, snapshotState } from './support/state-snapshot.ts';
import { trove } from './support/trove-cli.ts';

const PROJECT = 'ride_hailing';
/** The example data's last event time (copyExampleRepo's default) and a range covering it all. */
const DATA_END = '2026-01-01T00:00:00Z';
const DATA_START = '2025-11-30T00:00:00Z';

type Scope = 'read' | 'write' | 'admin' | 'public';
type KeyScope = Exclude<Scope, 'public'>;
type Keys = Record<KeyScope, string>;

/**
 * The scope each route must have, reviewed by hand: a route of the table missing here (a new
 * endpoint) fails the drill until someone decides who may call it. GET and HEAD routes are reads
 * unless listed.
 */
const REVIEWED_SCOPES: Record<string, Scope> = {
  'POST /get-online-features': 'read',
  'POST /get-historical-features': 'read',
  'POST /push': 'write',
  'POST /datasets': 'write',
  'POST /materialize': 'admin',
  'POST /materialize-incremental': 'admin',
  'GET /health': 'public',
  'GET /ui': 'public',
  'HEAD /ui': 'public',
  'GET /ui/': 'public',
  'HEAD /ui/': 'public',
  'GET /ui/assets/:file': 'public',
  'HEAD /ui/assets/:file': 'public',
  'HEAD /health': 'public',
};

const PUSH_SOURCE_YAML = `sources:
  - name: driver_push
    kind: push
    timestampField: event_timestamp
featureViews:
  - name: driver_pushed
    entities: [driver]
    source: driver_push
    ttl: 0
    features:
      - { name: pushed_trips, type: int64 }
`;

const PUSHED_TRIPS = 424242;

/** Bodies of the POST routes. */
const BODIES: Record<string, unknown> = {
  '/get-online-features': { entities: { driver_id: [1001] }, features: ['driver_hourly_stats:conv_rate'] },
  '/get-historical-features': {
    entities: { driver_id: [1001], event_timestamp: ['2025-12-31T00:00:00Z'] },
    features: ['driver_hourly_stats:conv_rate'],
  },
  '/push': {
    push_source_name: 'driver_push',
    df: {
      driver_id: [1001, 1002],
      event_timestamp: [new Date().toISOString(), new Date().toISOString()],
      pushed_trips: [PUSHED_TRIPS, PUSHED_TRIPS + 1],
    },
    to: 'online_and_offline',
  },
  '/datasets': {
    entities: { driver_id: [1001], event_timestamp: ['2025-12-31T00:00:00Z'] },
    features: ['driver_hourly_stats:conv_rate'],
    name: 'auth-drill',
  },
  '/materialize': { start_ts: DATA_START, end_ts: DATA_END, feature_views: ['driver_hourly_stats'] },
  '/materialize-incremental': { end_ts: DATA_END, feature_views: ['customer_profile'] },
};

/** What each write or admin route does when let in, as snapshot changes; refusals must not. */
const EFFECTS: Record<
  string,
  { what: string; seen: (changes: readonly string[], keys: OnlineKeys) => boolean }
> = {
  'POST /push': {
    what: 'Redis values and a push file written',
    seen: (changes) =>
      changes.some((c) => c.includes('redis:')) && changes.some((c) => c.startsWith('+file:')),
  },
  'POST /datasets': {
    what: 'a dataset and its manifest written into the catalog',
    seen: (changes) =>
      changes.some((c) => c.startsWith('+file:') && c.includes(`${path.sep}datasets${path.sep}`)),
  },
  'POST /materialize': {
    what: 'watermark of driver_hourly_stats set',
    seen: (changes, keys) => changes.includes(`+redis:${keys.watermarks('driver_hourly_stats')}`),
  },
  'POST /materialize-incremental': {
    what: 'watermark of customer_profile set',
    seen: (changes, keys) => changes.includes(`+redis:${keys.watermarks('customer_profile')}`),
  },
};

/** One route, ready to call: parameters filled in, body written. */
interface RouteCase {
  route: RouteEntry;
  scope: Scope;
  target: string;
  body?: string;
}

function attempt(c: RouteCase, what: string, headers: readonly Header[], expect: Expectation): Attempt {
  return { what, method: c.route.method, target: c.target, body: c.body, headers, expect };
}

/** Routes whose declared scope is not the reviewed one (or that nobody reviewed). */
function unreviewedRoutes(routes: readonly RouteEntry[]): RouteEntry[] {
  return routes.filter((r) => {
    const reviewed =
      REVIEWED_SCOPES[routeName(r)] ?? (r.method === 'GET' || r.method === 'HEAD' ? 'read' : undefined);
    return reviewed !== r.scope;
  });
}

/** The first asset the web UI's page loads (the assets have no list endpoint). */
async function uiAsset(http: HttpAttempts, url: string): Promise<string> {
  const page = await http.send({
    what: 'ui page',
    method: 'GET',
    target: '/ui/',
    headers: [],
    expect: { status: 200 },
  });
  const asset = /"assets\/([\w.-]+)"/.exec(page.body)?.[1];
  if (!asset) throw new Error(`GET /ui/ names no asset to fill ${url} with`);
  return `/ui/assets/${asset}`;
}

/** Fills a `:name` parameter with the first name the route's list endpoint gives. */
async function concreteTarget(http: HttpAttempts, url: string, admin: string): Promise<string> {
  const param = /\/:(\w+)/.exec(url);
  if (!param) return url;
  const rest = url.slice(param.index + param[0].length);
  const filled = await concreteName(http, url.slice(0, param.index + param[0].length), admin);
  return filled + (rest === '' ? '' : await concreteTarget(http, rest, admin));
}

/** Fills a trailing `:name` parameter with the first name the route's list endpoint gives. */
async function concreteName(http: HttpAttempts, url: string, admin: string): Promise<string> {
  const param = /\/:(\w+)$/.exec(url);
  if (!param) return url;
  const list = url.slice(0, param.index);
  if (list === '/ui/assets') return uiAsset(http, url);
  const answer = await http.send({
    what: 'list',
    method: 'GET',
    target: list,
    headers: [bearer(admin)],
    expect: { status: 200 },
  });
  const body = answer.status === 200 ? (JSON.parse(answer.body) as Record<string, unknown>) : {};
  const items = Object.values(body).find(Array.isArray) as { name?: string; id?: string }[] | undefined;
  // Datasets go by id; every other listed thing by name.
  const name = param[1] === 'id' ? items?.[0]?.id : items?.[0]?.name;
  if (!name) throw new Error(`GET ${list} names nothing to fill ${url} with`);
  return `${list}/${encodeURIComponent(name)}`;
}

/** Requests the HTTP parser rejects before routing: answered in the error shape, never let in. */
function unparseable(c: RouteCase, key: string, http: HttpAttempts): Attempt[] {
  const raw = (what: string, headers: Header[], status: number): Attempt => ({
    ...attempt(c, what, [], { status }),
    raw: http.head(c.route.method, c.target, headers),
  });
  return [
    raw('control character after the key', [['Authorization', `Bearer ${key}\u0001`]], 400),
    raw('NUL inside the key', [['Authorization', `Bearer ${key.slice(0, 8)}\u0000${key.slice(8)}`]], 400),
    raw('the right key, headers over the size limit', [bearer(key), ['X-Padding', 'p'.repeat(20_000)]], 431),
  ];
}

/** Every way a route must refuse: no or unknown keys, near misses, malformed headers, weak scopes. */
function refusals(c: RouteCase, keys: Keys, http: HttpAttempts): Attempt[] {
  if (c.scope === 'public') return [];
  const right = keys[c.scope];
  const unauthenticated = { status: 401, code: 'UNAUTHENTICATED' };
  const forbidden = { status: 403, code: 'FORBIDDEN' };
  const out = [
    attempt(c, 'unknown key', [bearer(newKey())], unauthenticated),
    attempt(c, 'unknown X-API-Key', [apiKeyHeader(newKey())], unauthenticated),
  ];
  for (const key of new Set([right, keys.admin])) {
    for (const miss of nearMisses(key)) {
      out.push(attempt(c, 'near miss', [bearer(miss)], unauthenticated));
      out.push(attempt(c, 'near miss in X-API-Key', [apiKeyHeader(miss)], unauthenticated));
    }
  }
  for (const form of malformedForms(right)) out.push(attempt(c, form.what, form.headers, unauthenticated));
  const weaker: KeyScope[] =
    c.scope === 'admin' ? ['read', 'write'] : c.scope === 'write' ? ['read'] : ['write'];
  for (const scope of weaker) {
    out.push(attempt(c, `${scope} key`, [bearer(keys[scope])], forbidden));
    out.push(attempt(c, `${scope} key in X-API-Key`, [apiKeyHeader(keys[scope])], forbidden));
    out.push(
      attempt(
        c,
        `${scope} key in Authorization, the right one in X-API-Key`,
        [bearer(keys[scope]), apiKeyHeader(right)],
        {
          status: 'refused',
        },
      ),
    );
  }
  if (c.route.method !== 'HEAD') out.push(...unparseable(c, right, http));
  return out;
}

/** Paths near a route's own, without a key and with the read key: none may reach it. */
function pathVariants(c: RouteCase, readKey: string): Attempt[] {
  const url = c.target;
  const variants = [
    `${url}/`,
    url.toUpperCase(),
    `/${url}`,
    `${url}?scope=admin`,
    `/%${url.charCodeAt(1).toString(16)}${url.slice(2)}`,
    `${url}/.`,
    `/.${url}`,
    `${url}%2F`,
    `${url};admin`,
  ];
  return variants.flatMap((target) => [
    { ...attempt(c, 'path variant, no key', [], { status: 'denied' }), target },
    { ...attempt(c, 'path variant, read key', [bearer(readKey)], { status: 'denied' }), target },
  ]);
}

/** Unknown paths, /health, and a huge body announced without a key. */
function probes(cases: readonly RouteCase[], keys: Keys, http: HttpAttempts): Attempt[] {
  const unknown: RouteCase = {
    route: { method: 'GET', url: '/no-such-endpoint', scope: undefined },
    scope: 'read',
    target: '/no-such-endpoint',
  };
  const push: RouteCase = {
    route: { method: 'POST', url: '/push', scope: 'write' },
    scope: 'write',
    target: '/push',
  };
  const out = [
    attempt(unknown, 'unknown path, no key', [], { status: 401, code: 'UNAUTHENTICATED' }),
    attempt(unknown, 'unknown path, read key', [bearer(keys.read)], { status: 404, code: 'NOT_FOUND' }),
    {
      ...attempt(push, '64 MiB body announced without a key, answered before it is read', [], {
        status: 401,
        code: 'UNAUTHENTICATED',
      }),
      raw: http.head('POST', '/push', [
        ['Content-Type', 'application/json'],
        ['Content-Length', String(64 * 1024 * 1024)],
      ]),
    },
  ];
  for (const c of cases.filter((x) => x.scope === 'public')) {
    out.push(attempt(c, 'public, no key', [], { status: 'accepted' }));
    out.push(attempt(c, 'public, unknown key', [bearer(newKey())], { status: 'accepted' }));
  }
  return out;
}

/** Every accepted form of the route's own key, and the admin key. */
function acceptances(c: RouteCase, keys: Keys): Attempt[] {
  if (c.scope === 'public') return [];
  const out = acceptedForms(keys[c.scope]).map((form) =>
    attempt(c, `${c.scope} key, ${form.what}`, form.headers, { status: 'accepted' }),
  );
  if (c.scope !== 'admin') out.push(attempt(c, 'admin key', [bearer(keys.admin)], { status: 'accepted' }));
  return out;
}

/** Starts the server with a TROVE_API_KEYS it must refuse; resolves to what it printed. */
async function misconfiguredStart(
  repoDir: string,
  env: NodeJS.ProcessEnv,
  apiKeys: string,
): Promise<{ started: boolean; output: string }> {
  try {
    const server = await ApiServerProcess.start({
      repoDir,
      env: { ...env, TROVE_API_KEYS: apiKeys },
      logLevel: 'trace',
    });
    const output = server.output;
    await server.stop();
    return { started: true, output };
  } catch (err) {
    return { started: false, output: (err as Error).message };
  }
}

async function run(ctx: DrillContext): Promise<DrillResult> {
  const checks: DrillCheck[] = [];
  const attemptsCheck = async (http: HttpAttempts, what: string, attempts: Attempt[]): Promise<void> => {
    const failures = await http.run(attempts);
    checks.push(
      check(what, attempts.length > 0 && failures.length === 0, attemptsSummary(failures, attempts.length)),
    );
  };
  const keys: Keys = { read: newKey(), write: newKey(), admin: newKey() };
  const scratch = await openDrillScratch(
    ctx,
    'auth',
    `${keys.read}:read,${keys.write}:write,${keys.admin}:admin`,
  );
  const { repo, redis, keyPrefix, env } = scratch;
  const onlineKeys = new OnlineKeys(keyPrefix, PROJECT);
  let server: ApiServerProcess | undefined;
  try {
    ctx.log('building the example repo with a push source');
    await copyExampleRepo(repo, 2_000);
    await repo.write('push.yaml', PUSH_SOURCE_YAML);
    await trove(['apply', '--repo', repo.dir], env);
    await trove(['compute', '--repo', repo.dir], env);

    const routes = await routeTable(repo.dir, { ...process.env, ...env });
    const unreviewed = unreviewedRoutes(routes);
    checks.push(
      check(
        'every route of the app declares the scope reviewed for it',
        routes.length > 0 && unreviewed.length === 0,
        unreviewed.length === 0
          ? `${routes.length} routes`
          : `not as reviewed: ${unreviewed.map((r) => `${routeName(r)} (${r.scope ?? 'none'})`).join(', ')}`,
      ),
    );
    const writeAdmin = routes.filter((r) => r.scope === 'write' || r.scope === 'admin');
    const uncovered = writeAdmin.filter((r) => !EFFECTS[routeName(r)] || !(r.url in BODIES));
    checks.push(
      check(
        'the drill covers every write and admin route (a body, and an effect to look for)',
        writeAdmin.length > 0 && uncovered.length === 0,
        uncovered.length === 0
          ? `${writeAdmin.length} routes: ${writeAdmin.map(routeName).join(', ')}`
          : `uncovered: ${uncovered.map(routeName).join(', ')}`,
      ),
    );

    server = await ApiServerProcess.start({ repoDir: repo.dir, env, logLevel: 'trace' });
    const http = new HttpAttempts(server.port);
    // One dataset in the catalog, so the routes under /datasets/:id have one to name.
    const first = await http.send({
      what: 'a first dataset',
      method: 'POST',
      target: '/datasets',
      body: JSON.stringify(BODIES['/datasets']),
      headers: [bearer(keys.admin)],
      expect: { status: 200 },
    });
    // Its statistics are added to its manifest after the answer; asking for them waits, so the
    // snapshots below do not see that write.
    await http.send({
      what: "the first dataset's statistics",
      method: 'GET',
      target: `/datasets/${(JSON.parse(first.body) as { id: string }).id}/stats`,
      headers: [bearer(keys.admin)],
      expect: { status: 200 },
    });
    const cases: RouteCase[] = [];
    for (const route of routes) {
      const body = route.method === 'POST' ? BODIES[route.url] : undefined;
      cases.push({
        route,
        scope: route.scope ?? 'read',
        target:
          route.url === '/feature-views/:name/drift'
            ? // Drift compares against a dataset, named in the query.
              `/feature-views/driver_hourly_stats/drift?dataset=${encodeURIComponent((JSON.parse(first.body) as { id: string }).id)}`
            : await concreteTarget(http, route.url, keys.admin),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    }
    const writeCases = cases.filter((c) => c.scope === 'write' || c.scope === 'admin');
    const snapshot = (): Promise<StateSnapshot> =>
      snapshotState(redis, keyPrefix, [path.join(repo.dir, '.trove')]);

    // Refusals first, on a store no write has touched yet: they must leave it exactly as it is.
    const before = await snapshot();
    const writeRefusals = writeCases.flatMap((c) => [
      ...refusals(c, keys, http),
      ...pathVariants(c, keys.read),
    ]);
    ctx.log(`${writeRefusals.length} refused attempts on write and admin routes`);
    await attemptsCheck(
      http,
      'write and admin routes refuse missing, unknown, near-miss, malformed and under-scoped keys, in the error shape',
      writeRefusals,
    );
    const readRefusals = cases.filter((c) => c.scope === 'read').flatMap((c) => refusals(c, keys, http));
    await attemptsCheck(
      http,
      'read routes refuse missing, unknown, near-miss and malformed keys and the write-only key',
      readRefusals,
    );
    await attemptsCheck(
      http,
      'unknown paths ask for a key before saying 404; /health is open; a large body without a key is refused unread',
      probes(cases, keys, http),
    );
    const after = await snapshot();
    const changes = snapshotChanges(before, after);
    checks.push(
      check(
        'refused requests changed nothing: no Redis key, watermark or offline file written',
        changes.length === 0,
        `${changes.length} changes among ${after.size} Redis keys and files${changes.length ? `: ${changes.slice(0, 5).join(', ')}` : ''}`,
      ),
    );

    // The right key: each write and admin route has its effect.
    const effectFailures: string[] = [];
    for (const c of writeCases) {
      const name = routeName(c.route);
      const ahead = await snapshot();
      const failed = await http.run([
        attempt(c, 'right key', [bearer(keys[c.scope as KeyScope])], { status: 'accepted' }),
      ]);
      const changed = snapshotChanges(ahead, await snapshot());
      if (failed.length > 0) effectFailures.push(...failed);
      else if (!EFFECTS[name]?.seen(changed, onlineKeys))
        effectFailures.push(`${name}: no ${EFFECTS[name]?.what}`);
    }
    const readBack = await http.send({
      what: 'read back',
      method: 'POST',
      target: '/get-online-features',
      headers: [bearer(keys.read)],
      body: JSON.stringify({ entities: { driver_id: [1001] }, features: ['driver_pushed:pushed_trips'] }),
      expect: { status: 200 },
    });
    const pushed = (JSON.parse(readBack.body) as { results?: { values: unknown[] }[] }).results?.[1]
      ?.values[0];
    if (pushed !== PUSHED_TRIPS) effectFailures.push(`the pushed value reads back as ${String(pushed)}`);
    checks.push(
      check(
        'the right key is let in and the write happens (push readable online, watermarks set)',
        effectFailures.length === 0,
        effectFailures.length === 0
          ? `${writeCases.length} routes; pushed value read back`
          : effectFailures.join('; '),
      ),
    );
    const accepted = cases.flatMap((c) => acceptances(c, keys));
    await attemptsCheck(
      http,
      'every accepted form of the right key, and the admin key, is let in on every route',
      accepted,
    );

    ctx.log('starting the server with keys it must refuse');
    const weak = randomBytes(12).toString('base64url').slice(0, 15);
    const unscoped = newKey();
    const misconfigured = [
      { what: 'a key of 15 characters', apiKeys: `${weak}:read` },
      { what: 'an unknown scope', apiKeys: `${unscoped}:reed` },
      { what: 'no scope', apiKeys: unscoped },
    ];
    const logs: string[] = [];
    const started: string[] = [];
    for (const m of misconfigured) {
      const outcome = await misconfiguredStart(repo.dir, env, m.apiKeys);
      logs.push(outcome.output);
      if (outcome.started) started.push(m.what);
    }
    checks.push(
      check(
        'the server refuses to start with a weak, unscoped or mis-scoped key',
        started.length === 0,
        started.length === 0
          ? `${misconfigured.length} of ${misconfigured.length} refused`
          : `started with ${started.join(', ')}`,
      ),
    );

    await server.stop();
    logs.unshift(server.output);
    const requestsLogged = (server.output.match(/"msg":"incoming request"/g) ?? []).length;
    server = undefined;
    const needles = [keys.read, keys.write, keys.admin, weak, unscoped].flatMap(leakNeedles);
    const haystacks = [...logs, ...http.answers];
    const found = needles.filter((n) => haystacks.some((h) => h.includes(n)));
    const logBytes = logs.reduce((n, l) => n + l.length, 0);
    checks.push(
      check(
        'the searched log is the whole trace-level log: it holds the requests served',
        requestsLogged >= http.sent / 2,
        `${requestsLogged} requests logged of ${http.sent} sent; ${logBytes} bytes of log`,
      ),
    );
    checks.push(
      check(
        'no key, nor its base64, hex, bytes, digest or any 12 characters of it, in the log or an answer',
        found.length === 0,
        `${needles.length} needles in ${logBytes} bytes of log and ${http.answers.length} answers: ${found.length} found${
          found.length
            ? ` (${found
                .slice(0, 3)
                .map((n) => `${n.slice(0, 6)}…`)
                .join(', ')})`
            : ''
        }`,
      ),
    );
    return {
      checks,
      figures: {
        routes: routes.length,
        writeAndAdminRoutes: writeAdmin.length,
        requests: http.sent,
        refusedAttempts: writeRefusals.length + readRefusals.length,
        acceptedAttempts: accepted.length,
        logBytes,
        leakNeedles: needles.length,
      },
    };
  } finally {
    await server?.stop();
    await scratch.close();
  }
}

export const drill: Drill = {
  name: 'auth',
  description:
    'API keys on every route of trove serve: refusals change nothing, every accepted form works, keys never reach the log',
  timeLimitSeconds: 600,
  run,
};
