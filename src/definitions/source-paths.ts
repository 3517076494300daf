/**
 * Which files a repo's sources may name: those inside the repo, the offline store, or a folder the
 * operator lists in `TROVE_DATA_DIRS`, judged after resolving symbolic links. The DuckDB instances
 * that read sources enforce the same folders (see duckdb/file-access.ts); checking here first gives
 * the user a message naming the source instead of DuckDB's permission error.
 */
import path from 'node:path';
import { realDirectories, realPathInside } from '../duckdb/file-access.ts';
import type { Source } from './source.ts';
import { resolveRepoPath, type SourceContext } from './source-sql.ts';

const GLOB = /[*?[{]/;

/** The folders sources may read, as given (not yet resolved). */
export function sourceFolders(ctx: SourceContext): string[] {
  return [ctx.repoDir, ctx.offlineStorePath, ...(ctx.dataDirs ?? [])];
}

/**
 * Why a Parquet or CSV source's path may not be read, or undefined when it may. For a glob, the
 * folder before the first wildcard must be inside; files the glob matches through links that lead
 * outside are refused by DuckDB when read.
 */
export async function sourcePathProblem(source: Source, ctx: SourceContext): Promise<string | undefined> {
  if (source.kind !== 'parquet' && source.kind !== 'csv') return undefined;
  if (source.path.includes('\0')) return 'the path contains a NUL character';
  const absolute = resolveRepoPath(ctx.repoDir, source.path);
  const wildcard = absolute.search(GLOB);
  const fixed =
    wildcard < 0 ? absolute : absolute.slice(0, Math.max(absolute.lastIndexOf(path.sep, wildcard), 1));
  const roots = await realDirectories(sourceFolders(ctx));
  if (await realPathInside(roots, fixed)) return undefined;
  const where = ctx.dataDirs?.length
    ? 'the repo, the offline store or TROVE_DATA_DIRS'
    : 'the repo or the offline store';
  return `path ${source.path} leads outside ${where} (after resolving symbolic links); sources may only read files there — list other data folders in TROVE_DATA_DIRS`;
}
