/**
 * Loads an on-demand view's transform from where the registry says it lives. Modules are imported
 * through the same hooks as definition modules, once per version of the file: an edited module is
 * imported afresh, an unchanged one costs a `stat`. Serving passes `recheckMs`, so a hot read path
 * pays that `stat` at most once per interval per module instead of once per request.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { TroveError } from '../../errors.ts';
import { importTypeScriptModule } from '../typescript-modules.ts';
import type { TransformFunction } from './transform-function.ts';
import { formatTransformLocation, type TransformLocation } from './transform-location.ts';

/** Why a location gives no function: the code of the error, and the reason for messages. */
export interface TransformProblem {
  code: 'TRANSFORM_NOT_FOUND' | 'TRANSFORM_LOAD_FAILED' | 'TRANSFORM_NOT_A_FUNCTION';
  reason: string;
}

interface CachedModule {
  version: string;
  exports: Promise<Record<string, unknown>>;
  /** `performance.now()` when the file's version was last read. */
  checkedAt: number;
}

/** How a caller wants the module's file checked for edits. */
export interface LoadOptions {
  /** Reuse the module imported within this many ms without looking at its file; 0 always looks. */
  recheckMs?: number;
}

const MAX_REASON = 400;

/** By absolute module path: the last version imported. */
const modules = new Map<string, CachedModule>();

/** A loading error on one line, cut short: esbuild puts the reason on the line after its summary. */
function oneLine(message: string): string {
  const text = message.replace(/\s*\n\s*/g, ' ').trim();
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

/** The module's exports, imported again only when its file changed (by mtime and size). */
async function moduleExports(
  absolute: string,
  shown: string,
  recheckMs: number,
): Promise<{ exports: Record<string, unknown> } | { problem: TransformProblem }> {
  let cached = modules.get(absolute);
  const now = performance.now();
  if (cached !== undefined && now - cached.checkedAt < recheckMs) return settle(cached, shown);
  let version: string;
  try {
    // Synchronous: a local file's metadata is a few microseconds, cheaper than a thread-pool trip.
    const s = statSync(absolute, { bigint: true });
    if (!s.isFile())
      return { problem: { code: 'TRANSFORM_NOT_FOUND', reason: `module ${shown} is not a file` } };
    version = `${s.mtimeNs}-${s.size}`;
  } catch {
    return { problem: { code: 'TRANSFORM_NOT_FOUND', reason: `module ${shown} not found` } };
  }
  if (cached?.version !== version) {
    cached = { version, exports: importTypeScriptModule(absolute, version), checkedAt: now };
    modules.set(absolute, cached);
  } else cached.checkedAt = now;
  return settle(cached, shown);
}

async function settle(
  cached: CachedModule,
  shown: string,
): Promise<{ exports: Record<string, unknown> } | { problem: TransformProblem }> {
  try {
    return { exports: await cached.exports };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      problem: {
        code: 'TRANSFORM_LOAD_FAILED',
        reason: `module ${shown} failed to load: ${oneLine(message)}`,
      },
    };
  }
}

/** The function at `location`, or why there is none. Never throws. */
export async function resolveTransform(
  repoDir: string,
  location: TransformLocation,
  options: LoadOptions = {},
): Promise<{ transform: TransformFunction } | { problem: TransformProblem }> {
  const root = path.resolve(repoDir);
  const absolute = path.resolve(root, location.module);
  const relative = path.relative(root, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative))
    return {
      problem: { code: 'TRANSFORM_NOT_FOUND', reason: `module ${location.module} is outside the repo` },
    };
  const loaded = await moduleExports(absolute, location.module, options.recheckMs ?? 0);
  if ('problem' in loaded) return loaded;
  const mod = loaded.exports;
  if (!Object.hasOwn(mod, location.export)) {
    const names = Object.keys(mod);
    return {
      problem: {
        code: 'TRANSFORM_NOT_FOUND',
        reason: `module ${location.module} has no export ${location.export} (${names.length === 0 ? 'it exports nothing' : `it exports: ${names.slice(0, 20).join(', ')}`})`,
      },
    };
  }
  const exported = mod[location.export];
  const value =
    location.property === null
      ? exported
      : typeof exported === 'object' && exported !== null
        ? (exported as Record<string, unknown>)[location.property]
        : undefined;
  if (typeof value === 'function') return { transform: value as TransformFunction };
  const what =
    location.property === null ? `export ${location.export}` : `${location.export}.${location.property}`;
  const hint =
    location.property === null &&
    typeof exported === 'object' &&
    exported !== null &&
    typeof (exported as { transform?: unknown }).transform === 'function'
      ? `; it is an on-demand view, whose transform is ${location.export}.transform: name the function itself, or define the view in TypeScript alone`
      : '';
  return {
    problem: {
      code: 'TRANSFORM_NOT_A_FUNCTION',
      reason: `${what} of ${location.module} is ${describeValue(value)}, not a function${hint}`,
    },
  };
}

/**
 * The transform of an on-demand view, from `location` (as registered: `view.transform`) under the
 * repo directory. Throws a TroveError (503: the repo cannot serve it) naming the view when `view`
 * is given, the module and the export, when the module is missing or fails to load, or the export
 * is missing or not a function.
 */
export async function loadTransform(
  repoDir: string,
  location: TransformLocation,
  view?: string,
  options: LoadOptions = {},
): Promise<TransformFunction> {
  const result = await resolveTransform(repoDir, location, options);
  if ('transform' in result) return result.transform;
  const who = view === undefined ? 'on-demand view' : `on-demand view ${view}`;
  throw new TroveError(
    result.problem.code,
    `${who}: transform ${formatTransformLocation(location)}: ${result.problem.reason}`,
    503,
  );
}
