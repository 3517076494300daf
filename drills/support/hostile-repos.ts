/**
 * Feature repos written to attack the machine that runs Trove on them: source paths, links and
 * trove.yaml paths leading out of the repo, SQL fragments in every name and string that reaches
 * DuckDB, queries and transformations that smuggle in a second statement, hand-written registries
 * and offline-store files (swap journals, links) that bypass `apply`, and YAML built to exhaust the
 * parser. Each case says which commands must refuse it and with which error.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { aliasBombYaml, nestedYaml } from '../../tests/helpers/hostile-yaml.ts';
import type { CanaryFiles } from './canary-files.ts';

/** The commands a hostile repo is given. */
export const COMMANDS = ['plan', 'apply', 'historical', 'materialize', 'serve', 'compute'] as const;
export type Command = (typeof COMMANDS)[number];

/** What a case may use while writing its repo. */
export interface CaseEnv {
  repo: string;
  canaries: CanaryFiles;
  /** A path beside the canaries that nothing may create: a SQL fragment's target. */
  created(name: string): string;
  /** `target` relative to the repo (to write `../../outside/...`). */
  fromRepo(target: string): string;
}

type Json = Record<string, unknown>;

/** The definitions objects of a repo, as YAML and the registry hold them. */
export interface Objects {
  entities: Json[];
  sources: Json[];
  featureViews: Json[];
  featureServices: Json[];
}

export interface RepoCase {
  name: string;
  /** trove.yaml; `project: hostile` when absent; null writes none (`setup` makes it). */
  troveYaml?: (env: CaseEnv) => string | null;
  /** Changes to the base objects; written to defs.yaml and, unless `registry` is false, to the registry. */
  objects?: (objects: Objects, env: CaseEnv) => void;
  /** defs.yaml as text, instead of the objects (YAML attacks). */
  definitionsText?: (env: CaseEnv) => string;
  /** Writes the objects straight into .trove/registry.json, as if applied (default true). */
  registry?: boolean;
  /** Links, planted files. */
  setup?: (env: CaseEnv) => Promise<void>;
  /** Commands that must fail, each with an error matching its pattern. */
  mustFail: Partial<Record<Command, RegExp>>;
  /** Commands that must succeed: the hostile-looking input is legitimate. */
  mustSucceed?: Command[];
}

const OUTSIDE = /leads outside/;
const DENIED = /Cannot access file .*disabled by configuration|leads outside/;
const ONE_QUERY = /must be a single query|syntax error/;
const IDENTIFIER = /expected an identifier/;
const BAD_REGISTRY = /not a valid registry/;
const CONFIG_OUTSIDE = /leads outside the repo|symbolic link that leads outside/;

/** The base repo: a Parquet source of the example data, a push source, two views and a service. */
export function baseObjects(): Objects {
  return {
    entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
    sources: [
      {
        name: 'driver_stats',
        kind: 'parquet',
        path: 'data/driver_stats.parquet',
        timestampField: 'event_timestamp',
        createdTimestampField: 'created',
      },
      { name: 'driver_push', kind: 'push', timestampField: 'event_timestamp' },
    ],
    featureViews: [
      {
        name: 'driver_hourly_stats',
        entities: ['driver'],
        source: 'driver_stats',
        features: [
          { name: 'conv_rate', type: 'float32' },
          { name: 'avg_daily_trips', type: 'int64' },
        ],
      },
      {
        name: 'driver_pushed',
        entities: ['driver'],
        source: 'driver_push',
        features: [{ name: 'conv_rate', type: 'float32' }],
      },
    ],
    featureServices: [{ name: 'ranking', features: ['driver_hourly_stats'] }],
  };
}

const stats = (o: Objects): Json => o.sources[0]!;
const view = (o: Objects): Json => o.featureViews[0]!;

/** Everything the registry commands fail with when apply would have refused the names. */
const BAD_NAMES: Partial<Record<Command, RegExp>> = {
  plan: IDENTIFIER,
  apply: IDENTIFIER,
  compute: BAD_REGISTRY,
  materialize: BAD_REGISTRY,
  historical: BAD_REGISTRY,
  serve: BAD_REGISTRY,
};

/** Every command fails at trove.yaml with `pattern`. */
function everyCommand(pattern: RegExp): Partial<Record<Command, RegExp>> {
  return Object.fromEntries(COMMANDS.map((c) => [c, pattern]));
}

function sqlSource(query: string) {
  return (o: Objects) => {
    o.sources[0] = { name: 'driver_stats', kind: 'sql', query, timestampField: 'event_timestamp' };
  };
}

/** A partition folder holding a copy of the canary Parquet file, outside the repo. */
async function outsidePartition(env: CaseEnv, folder: string): Promise<string> {
  await env.canaries.plant(
    path.join(folder, 'date=2025-12-20', 'part-0.parquet'),
    await readFile(env.canaries.file('canary.parquet')),
  );
  return path.join(env.canaries.dir, folder);
}

export const REPO_CASES: RepoCase[] = [
  // The control: a sound repo every command accepts, so the refusals below are the input's doing.
  { name: 'sound-repo', mustFail: {}, mustSucceed: [...COMMANDS] },
  // Source paths.
  {
    name: 'source-absolute-path',
    objects: (o, env) => Object.assign(stats(o), { kind: 'csv', path: env.canaries.file('canary.csv') }),
    mustFail: { plan: OUTSIDE, apply: OUTSIDE, compute: OUTSIDE },
  },
  {
    name: 'source-etc-passwd',
    objects: (o) => Object.assign(stats(o), { kind: 'csv', path: '/etc/passwd' }),
    mustFail: { plan: OUTSIDE, apply: OUTSIDE, compute: OUTSIDE },
  },
  {
    name: 'source-dotdot-path',
    objects: (o, env) =>
      Object.assign(stats(o), { kind: 'csv', path: env.fromRepo(env.canaries.file('canary.csv')) }),
    mustFail: { plan: OUTSIDE, apply: OUTSIDE, compute: OUTSIDE },
  },
  {
    name: 'source-link-to-file-outside',
    setup: (env) =>
      symlink(env.canaries.file('canary.parquet'), path.join(env.repo, 'data', 'linked.parquet')),
    objects: (o) => Object.assign(stats(o), { path: 'data/linked.parquet' }),
    mustFail: { plan: OUTSIDE, apply: OUTSIDE, compute: OUTSIDE },
  },
  {
    name: 'source-glob-through-link-to-folder-outside',
    setup: (env) => symlink(env.canaries.dir, path.join(env.repo, 'data', 'linked-dir')),
    objects: (o) => Object.assign(stats(o), { path: 'data/linked-dir/*.parquet' }),
    mustFail: { plan: OUTSIDE, apply: OUTSIDE, compute: OUTSIDE },
  },
  {
    name: 'source-glob-with-dotdot',
    objects: (o, env) =>
      Object.assign(stats(o), { path: `data/*/../../${env.fromRepo(env.canaries.dir)}/*.parquet` }),
    mustFail: { plan: OUTSIDE, apply: OUTSIDE, compute: OUTSIDE },
  },
  {
    name: 'source-glob-matching-a-link-outside',
    setup: async (env) => {
      await mkdir(path.join(env.repo, 'data', 'parts'));
      await copyFile(
        path.join(env.repo, 'data', 'driver_stats.parquet'),
        path.join(env.repo, 'data', 'parts', 'a.parquet'),
      );
      await symlink(env.canaries.file('canary.parquet'), path.join(env.repo, 'data', 'parts', 'b.parquet'));
    },
    objects: (o) => Object.assign(stats(o), { path: 'data/parts/*.parquet' }),
    mustFail: { plan: DENIED, apply: DENIED, compute: DENIED },
  },
  {
    name: 'source-path-with-sql',
    objects: (o, env) =>
      Object.assign(stats(o), {
        path: `data/x.parquet'); COPY (SELECT 1) TO '${env.created('path-sql.csv')}'; --`,
      }),
    mustFail: { plan: /file not found/, apply: /file not found/, compute: /cannot be read/ },
  },
  {
    name: 'source-csv-delimiter-quote',
    setup: (env) =>
      writeFile(
        path.join(env.repo, 'data', 'quoted.csv'),
        "driver_id'event_timestamp'conv_rate'avg_daily_trips\n1001'2025-12-20 00:00:00'0.5'3\n",
      ),
    objects: (o) => {
      o.sources[0] = {
        name: 'driver_stats',
        kind: 'csv',
        path: 'data/quoted.csv',
        delimiter: "'",
        timestampField: 'event_timestamp',
      };
      (view(o).features as Json[])[0]!.type = 'float64';
    },
    mustFail: {},
    mustSucceed: ['plan', 'apply', 'compute'],
  },
  // SQL sources and transformations.
  {
    name: 'sql-source-reads-outside',
    objects: (o, env) => sqlSource(`SELECT * FROM read_parquet('${env.canaries.file('canary.parquet')}')`)(o),
    mustFail: { plan: DENIED, apply: DENIED, compute: DENIED },
  },
  {
    name: 'sql-source-reads-etc-passwd',
    objects: sqlSource(
      `SELECT 1001::BIGINT AS driver_id, now() AS event_timestamp, content AS conv_rate, 1 AS avg_daily_trips FROM read_text('/etc/passwd')`,
    ),
    mustFail: { plan: DENIED, apply: DENIED, compute: DENIED },
  },
  {
    name: 'sql-source-lists-outside',
    objects: (o, env) => sqlSource(`SELECT file FROM glob('${env.canaries.dir}/*')`)(o),
    mustFail: { plan: DENIED, apply: DENIED, compute: DENIED },
  },
  {
    name: 'sql-source-closes-the-parenthesis',
    objects: (o, env) =>
      sqlSource(
        `SELECT 1 AS x) t; COPY (SELECT 1) TO '${env.created('sql-breakout.csv')}'; SELECT * FROM (SELECT 1`,
      )(o),
    mustFail: { plan: ONE_QUERY, apply: ONE_QUERY, compute: ONE_QUERY },
  },
  {
    name: 'sql-source-second-statement',
    objects: (o, env) => sqlSource(`SELECT 1 AS x; COPY (SELECT 1) TO '${env.created('sql-second.csv')}'`)(o),
    mustFail: { plan: ONE_QUERY, apply: ONE_QUERY, compute: ONE_QUERY },
  },
  {
    name: 'sql-source-copy',
    objects: (o, env) => sqlSource(`COPY (SELECT 1) TO '${env.created('sql-copy.csv')}'`)(o),
    mustFail: { plan: ONE_QUERY, apply: ONE_QUERY, compute: ONE_QUERY },
  },
  {
    name: 'sql-source-attach',
    objects: (o, env) => sqlSource(`ATTACH '${env.created('sql-attach.db')}' AS evil`)(o),
    mustFail: { plan: ONE_QUERY, apply: ONE_QUERY, compute: ONE_QUERY },
  },
  {
    name: 'sql-source-lifts-the-sandbox',
    objects: (o, env) =>
      sqlSource(
        `SELECT 1; SET enable_external_access = true; SET allowed_directories = ['/']; SELECT * FROM read_csv('${env.canaries.file('canary.csv')}')`,
      )(o),
    mustFail: { plan: ONE_QUERY, apply: ONE_QUERY, compute: ONE_QUERY },
  },
  {
    name: 'sql-source-overwrites-the-repo',
    objects: (o, env) =>
      sqlSource(
        `COPY (SELECT 'project: pwned' AS x) TO '${path.join(env.repo, 'trove.yaml')}' (HEADER false)`,
      )(o),
    mustFail: { plan: ONE_QUERY, apply: ONE_QUERY, compute: ONE_QUERY },
  },
  {
    name: 'transformation-second-statement',
    objects: (o, env) => {
      view(o).transformation = `SELECT * FROM source; COPY (SELECT 1) TO '${env.created('tx-second.csv')}'`;
    },
    mustFail: { plan: ONE_QUERY, apply: ONE_QUERY, compute: ONE_QUERY },
  },
  {
    name: 'transformation-closes-the-parenthesis',
    objects: (o, env) => {
      view(o).transformation =
        `SELECT * FROM source) t; COPY (SELECT 1) TO '${env.created('tx-breakout.csv')}'; SELECT * FROM (SELECT 1`;
    },
    mustFail: { plan: ONE_QUERY, apply: ONE_QUERY, compute: ONE_QUERY },
  },
  {
    name: 'transformation-reads-outside',
    objects: (o, env) => {
      view(o).transformation = `SELECT s.* FROM source s, read_csv('${env.canaries.file('canary.csv')}') c`;
    },
    mustFail: { plan: DENIED, apply: DENIED, compute: DENIED },
  },
  {
    name: 'transformation-ending-in-a-comment',
    objects: (o) => {
      view(o).transformation = 'SELECT * FROM source -- a trailing comment must not swallow what follows';
    },
    mustFail: {},
    mustSucceed: ['plan', 'apply', 'compute'],
  },
  {
    name: 'field-mapping-key-with-sql',
    objects: (o, env) => {
      stats(o).fieldMapping = {
        [`conv_rate" FROM x; COPY (SELECT 1) TO '${env.created('mapping.csv')}'; --`]: 'conv_rate_2',
      };
    },
    // Quoted: DuckDB takes it as a column name to rename, finds none, and runs nothing else.
    mustFail: {},
    mustSucceed: ['plan', 'apply', 'compute'],
  },
  // Names.
  {
    name: 'entity-name-traversal',
    objects: (o) => {
      o.entities[0]!.name = '../../outside/x';
      for (const v of o.featureViews) v.entities = ['../../outside/x'];
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'view-name-traversal',
    objects: (o, env) => {
      view(o).name = `../../../${env.fromRepo(env.created('view-folder'))}`;
      o.featureServices = [];
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'view-name-with-separator',
    objects: (o) => {
      view(o).name = 'a/b';
      o.featureServices = [];
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'view-name-with-nul',
    objects: (o) => {
      view(o).name = 'a\u0000b';
      o.featureServices = [];
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'view-name-with-sql',
    objects: (o, env) => {
      view(o).name = `v" AS SELECT 1; COPY (SELECT 1) TO '${env.created('view-name.csv')}'; --`;
      o.featureServices = [];
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'entity-name-with-sql',
    objects: (o, env) => {
      const name = `driver'); ATTACH '${env.created('entity-name.db')}' AS x; --`;
      o.entities[0]!.name = name;
      for (const v of o.featureViews) v.entities = [name];
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'source-name-with-sql',
    objects: (o, env) => {
      const name = `s"; COPY (SELECT 1) TO '${env.created('source-name.csv')}'; --`;
      stats(o).name = name;
      view(o).source = name;
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'feature-name-with-sql',
    objects: (o) => {
      (view(o).features as Json[])[0]!.name = "conv_rate'); DROP TABLE __trove_entity_input; --";
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'join-key-with-sql',
    objects: (o, env) => {
      (o.entities[0]!.joinKeys as Json[])[0]!.name =
        `driver_id", 1)) t; COPY (SELECT 1) TO '${env.created('join-key.csv')}'; --`;
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'timestamp-field-with-sql',
    objects: (o, env) => {
      stats(o).timestampField = `event_timestamp"); COPY (SELECT 1) TO '${env.created('ts-field.csv')}'; --`;
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'created-timestamp-field-with-sql',
    objects: (o, env) => {
      stats(o).createdTimestampField = `created") ; ATTACH '${env.created('created-field.db')}'; --`;
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'batch-source-with-sql',
    objects: (o, env) => {
      o.sources[1]!.batchSource = `driver_stats"; COPY (SELECT 1) TO '${env.created('batch.csv')}'; --`;
    },
    mustFail: BAD_NAMES,
  },
  {
    name: 'service-reference-with-sql',
    objects: (o) => {
      o.featureServices[0]!.features = ["driver_hourly_stats:conv_rate'; DROP TABLE x; --"];
    },
    mustFail: {
      plan: /expected|feature/,
      apply: /expected|feature/,
      compute: BAD_REGISTRY,
      serve: BAD_REGISTRY,
    },
  },
  {
    name: 'project-name-traversal',
    troveYaml: () => 'project: ../../hostile\n',
    mustFail: everyCommand(/trove.yaml: field project/),
  },
  // trove.yaml paths.
  {
    name: 'registry-outside',
    troveYaml: (env) => `project: hostile\nregistry: ${env.fromRepo(env.created('registry.json'))}\n`,
    mustFail: everyCommand(CONFIG_OUTSIDE),
  },
  {
    name: 'registry-etc-passwd',
    troveYaml: () => 'project: hostile\nregistry: /etc/passwd\n',
    mustFail: everyCommand(CONFIG_OUTSIDE),
  },
  {
    name: 'registry-canary',
    troveYaml: (env) => `project: hostile\nregistry: ${env.canaries.file('canary.json')}\n`,
    mustFail: everyCommand(CONFIG_OUTSIDE),
  },
  {
    name: 'registry-link-outside',
    registry: false,
    setup: async (env) => {
      await mkdir(path.join(env.repo, '.trove'), { recursive: true });
      await symlink(env.canaries.file('canary.json'), path.join(env.repo, '.trove', 'registry.json'));
    },
    mustFail: everyCommand(CONFIG_OUTSIDE),
  },
  {
    name: 'offline-store-outside',
    troveYaml: (env) =>
      `project: hostile\nofflineStore:\n  path: ${env.fromRepo(env.created('offline-store'))}\n`,
    mustFail: everyCommand(CONFIG_OUTSIDE),
  },
  {
    name: 'offline-store-absolute',
    troveYaml: (env) => `project: hostile\nofflineStore:\n  path: ${env.created('offline-store-abs')}\n`,
    mustFail: everyCommand(CONFIG_OUTSIDE),
  },
  {
    name: 'trove-yaml-link-outside',
    troveYaml: () => null,
    setup: (env) => symlink(env.canaries.file('canary.yaml'), path.join(env.repo, 'trove.yaml')),
    mustFail: everyCommand(CONFIG_OUTSIDE),
  },
  {
    name: 'dot-trove-link-outside',
    registry: false,
    setup: (env) => symlink(env.canaries.dir, path.join(env.repo, '.trove')),
    mustFail: everyCommand(CONFIG_OUTSIDE),
  },
  // YAML built to exhaust the parser or the loader.
  {
    name: 'yaml-deeply-nested-definitions',
    definitionsText: () => `entities: ${nestedYaml(100_000)}\n`,
    mustFail: { plan: /nested too deeply/, apply: /nested too deeply/ },
  },
  {
    name: 'yaml-alias-bomb-definitions',
    definitionsText: () => aliasBombYaml('entities'),
    mustFail: { plan: /aliases/, apply: /aliases/ },
  },
  {
    name: 'yaml-oversized-definitions',
    definitionsText: () => `# ${'x'.repeat(5 * 1024 * 1024)}\nentities: []\n`,
    mustFail: { plan: /larger than/, apply: /larger than/ },
  },
  {
    name: 'yaml-many-documents',
    definitionsText: () => 'entities: []\n---\n'.repeat(100_000),
    mustFail: { plan: /YAML/, apply: /YAML/ },
  },
  {
    name: 'yaml-huge-entity-list',
    definitionsText: () =>
      `entities:\n${Array.from({ length: 30_000 }, (_, i) => `  - { name: e${i}, joinKeys: [{ name: k${i}, type: int64 }] }`).join('\n')}\n`,
    mustFail: {},
    mustSucceed: ['plan'],
  },
  {
    name: 'yaml-deeply-nested-trove-yaml',
    troveYaml: () => `project: ${nestedYaml(100_000)}\n`,
    mustFail: everyCommand(/nested too deeply/),
  },
  {
    name: 'yaml-alias-bomb-trove-yaml',
    troveYaml: () => `project: hostile\n${aliasBombYaml('extra')}`,
    mustFail: everyCommand(/aliases/),
  },
  {
    name: 'yaml-oversized-trove-yaml',
    troveYaml: () => `project: hostile\n# ${'x'.repeat(2 * 1024 * 1024)}\n`,
    mustFail: everyCommand(/larger than/),
  },
  // The offline store: files and links no compute wrote.
  {
    name: 'store-swap-journal-traversal',
    setup: async (env) => {
      await env.canaries.plant(path.join('victim-dir', 'keep.txt'), env.canaries.token);
      const folder = path.join(env.repo, '.trove', 'offline', 'views', 'driver_hourly_stats');
      await mkdir(folder, { recursive: true });
      const id = randomUUID();
      const date = `x/../../../../../${env.fromRepo(path.join(env.canaries.dir, 'victim-dir'))}`;
      await writeFile(
        path.join(folder, `_swap-${id}.json`),
        JSON.stringify({ id, dates: [{ date, staged: false }] }),
      );
    },
    mustFail: {
      compute: /swap journal/,
      materialize: /swap journal/,
      historical: /swap journal/,
      serve: /swap journal/,
    },
  },
  {
    name: 'store-swap-journal-link-outside',
    setup: async (env) => {
      const folder = path.join(env.repo, '.trove', 'offline', 'views', 'driver_hourly_stats');
      await mkdir(folder, { recursive: true });
      await symlink(env.canaries.file('canary.json'), path.join(folder, `_swap-${randomUUID()}.json`));
    },
    mustFail: {
      compute: /swap journal .* symbolic link/,
      materialize: /swap journal .* symbolic link/,
      historical: /swap journal .* symbolic link/,
      serve: /swap journal .* symbolic link/,
    },
  },
  {
    name: 'store-lock-link-outside',
    setup: async (env) => {
      const folder = path.join(env.repo, '.trove', 'offline', 'views', 'driver_hourly_stats');
      await mkdir(folder, { recursive: true });
      await env.canaries.plant(path.join('lock-target', 'pid'), '1');
      await symlink(path.join(env.canaries.dir, 'lock-target'), path.join(folder, '_lock'));
    },
    mustFail: { compute: /leads outside the offline store/ },
  },
  {
    name: 'store-view-folder-link-outside',
    setup: async (env) => {
      const target = await outsidePartition(env, 'view-target');
      await mkdir(path.join(env.repo, '.trove', 'offline', 'views'), { recursive: true });
      await symlink(target, path.join(env.repo, '.trove', 'offline', 'views', 'driver_hourly_stats'));
    },
    mustFail: {
      compute: /leads outside the offline store/,
      materialize: DENIED,
      historical: DENIED,
      serve: DENIED,
    },
  },
  {
    // Linked partition folders are not listed at all (only real folders are partitions).
    name: 'store-partition-link-outside',
    setup: async (env) => {
      const target = await outsidePartition(env, 'partition-target');
      const folder = path.join(env.repo, '.trove', 'offline', 'views', 'driver_hourly_stats');
      await mkdir(folder, { recursive: true });
      await symlink(path.join(target, 'date=2025-12-20'), path.join(folder, 'date=2025-12-20'));
    },
    mustFail: {},
  },
  {
    name: 'store-file-link-outside',
    setup: async (env) => {
      const folder = path.join(
        env.repo,
        '.trove',
        'offline',
        'views',
        'driver_hourly_stats',
        'date=2025-12-20',
      );
      await mkdir(folder, { recursive: true });
      await symlink(env.canaries.file('canary.parquet'), path.join(folder, 'part-0.parquet'));
    },
    mustFail: { materialize: DENIED, historical: DENIED, serve: DENIED },
  },
  {
    name: 'store-push-folder-link-outside',
    setup: async (env) => {
      const target = await outsidePartition(env, 'push-target');
      await mkdir(path.join(env.repo, '.trove', 'offline', '_push'), { recursive: true });
      await symlink(target, path.join(env.repo, '.trove', 'offline', '_push', 'driver_push'));
    },
    mustFail: { compute: DENIED, serve: /leads outside the offline store/ },
  },
];

/** Entity queries for training data over a sound repo: each must be refused, and create nothing. */
export function hostileEntityQueries(env: CaseEnv): { name: string; sql: string; expect: RegExp }[] {
  const row = `SELECT 1001::BIGINT AS driver_id, TIMESTAMPTZ '2025-12-20 00:00:00+00' AS event_timestamp`;
  return [
    {
      name: 'entity-query-second-statement',
      sql: `${row}; COPY (SELECT 1) TO '${env.created('entity-second.csv')}'`,
      expect: ONE_QUERY,
    },
    {
      name: 'entity-query-closes-early',
      sql: `${row}) t; COPY (SELECT 1) TO '${env.created('entity-breakout.csv')}'; SELECT * FROM (${row}`,
      expect: ONE_QUERY,
    },
    {
      name: 'entity-query-attach',
      sql: `ATTACH '${env.created('entity-attach.db')}' AS evil`,
      expect: ONE_QUERY,
    },
    {
      name: 'entity-query-reads-outside',
      sql: `SELECT * FROM read_parquet('${env.canaries.file('canary.parquet')}')`,
      expect: DENIED,
    },
    {
      name: 'entity-query-reads-etc-passwd',
      sql: `SELECT 1001::BIGINT AS driver_id, now() AS event_timestamp, content FROM read_text('/etc/passwd')`,
      expect: DENIED,
    },
  ];
}
