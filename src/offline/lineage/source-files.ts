/**
 * The source files behind the views a training dataset read, fingerprinted as they are when the
 * dataset is built: the Parquet or CSV files of each view's source (a glob expanded), the pushed
 * files of push sources, the sources a SQL source names, and the modules of on-demand transforms.
 * `verify` compares them with the files as they are later, and names each one that changed.
 */
import path from 'node:path';
import type { FeatureView } from '../../definitions/feature-view.ts';
import { inputViewName } from '../../definitions/on-demand/feature-reference.ts';
import type { Source } from '../../definitions/source.ts';
import { resolveRepoPath } from '../../definitions/source-sql.ts';
import { quoteString } from '../../duckdb/sql-literals.ts';
import type { Registry } from '../../registry/registry.ts';
import { offlineSourceContext } from '../compute-views.ts';
import { type OfflineConfig, openOfflineDuckDb } from '../offline-duckdb.ts';
import type { ManifestSourceFile } from './dataset-manifest.ts';
import { fingerprintFile, mapLimit } from './fingerprint.ts';

const GLOB = /[*?[{]/;

/** Every view `names` depend on: themselves and, for on-demand views, the views they read. */
export function viewsDependedOn(registry: Registry, names: Iterable<string>): FeatureView[] {
  const out = new Map<string, FeatureView>();
  const visit = (name: string) => {
    const view = registry.featureView(name);
    if (!view || out.has(name)) return;
    out.set(name, view);
    if (view.kind === 'onDemand') for (const ref of view.inputs) visit(inputViewName(ref));
  };
  for (const n of names) visit(n);
  return [...out.values()];
}

/** Sources a view's source reads: itself, a push source's batch source, sources a SQL query names. */
function sourcesBehind(
  registry: Registry,
  name: string,
  out = new Map<string, Source>(),
): Map<string, Source> {
  const source = registry.source(name);
  if (!source || out.has(name)) return out;
  out.set(name, source);
  if (source.kind === 'push' && source.batchSource) sourcesBehind(registry, source.batchSource, out);
  if (source.kind === 'sql') {
    for (const other of registry.definitions.sources) {
      if (new RegExp(`(^|[^A-Za-z0-9_])${other.name}([^A-Za-z0-9_]|$)`).test(source.query))
        sourcesBehind(registry, other.name, out);
    }
  }
  return out;
}

/** The files a glob names, listed by DuckDB (which confines it to the folders sources may read). */
async function expandGlob(config: OfflineConfig, pattern: string): Promise<string[]> {
  const db = await openOfflineDuckDb(config);
  try {
    const reader = await db.connection.runAndReadAll(
      `SELECT file FROM glob(${quoteString(pattern)}) ORDER BY file`,
    );
    return reader.getRowsJS().map((r) => String(r[0]));
  } catch {
    return [];
  } finally {
    db.close();
  }
}

/** Fingerprints of the source files behind `views`, in a stable order. */
export async function sourceFiles(
  config: OfflineConfig,
  registry: Registry,
  views: readonly FeatureView[],
): Promise<ManifestSourceFile[]> {
  const sources = new Map<string, Source>();
  const transforms = new Map<string, string>();
  for (const view of views) {
    if (view.kind === 'onDemand') transforms.set(view.transform.module, view.name);
    else sourcesBehind(registry, view.source, sources);
  }
  const wanted: { source: string; kind: ManifestSourceFile['kind']; path: string }[] = [];
  const push = [...sources.values()].some((s) => s.kind === 'push')
    ? await offlineSourceContext(config, registry)
    : undefined;
  for (const source of sources.values()) {
    if (source.kind === 'parquet' || source.kind === 'csv') {
      const absolute = resolveRepoPath(config.repoDir, source.path);
      const files = GLOB.test(absolute) ? await expandGlob(config, absolute) : [absolute];
      for (const f of files) wanted.push({ source: source.name, kind: source.kind, path: f });
    } else if (source.kind === 'push') {
      for (const f of push?.pushFiles?.[source.name] ?? [])
        wanted.push({ source: source.name, kind: 'push', path: f });
    }
  }
  for (const [module, view] of transforms)
    wanted.push({ source: view, kind: 'transform', path: path.join(config.repoDir, module) });
  const fingerprinted = await mapLimit(wanted, 8, async (w) => {
    const print = await fingerprintFile(w.path).catch(() => undefined);
    return print ? [{ ...w, ...print }] : [];
  });
  return fingerprinted.flat();
}
