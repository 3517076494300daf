/**
 * Module hooks (node:module `register`) for a feature repo's TypeScript files, which may live in
 * any folder: beside a `package.json` of any `type`, or none. Node would take such a `.ts` file for
 * CommonJS or refuse it; these hooks make every one an ES module, transpiled by esbuild, and
 * resolve `'trove'` to the Trove that is running, so a repo needs no install of its own.
 *
 * They run on Node's hooks thread and must stay self-contained: no imports from the rest of Trove.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** What `registerTypeScriptHooks` passes to the hooks thread. */
export interface TypeScriptHooksData {
  /** URL of Trove's library entry, which `import … from 'trove'` resolves to. */
  troveEntry: string;
}

interface ResolveContext {
  parentURL?: string;
  conditions: readonly string[];
  importAttributes: Record<string, string>;
}

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}

interface LoadContext {
  format?: string | null;
  conditions: readonly string[];
  importAttributes: Record<string, string>;
}

interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}

type NextResolve = (specifier: string, context?: Partial<ResolveContext>) => Promise<ResolveResult>;
type NextLoad = (url: string, context?: Partial<LoadContext>) => Promise<LoadResult>;

let troveEntry = '';

export function initialize(data: TypeScriptHooksData): void {
  troveEntry = data.troveEntry;
}

/**
 * A feature repo's own TypeScript: not a declaration file, not a dependency's. A query (a module
 * imported again after it changed, `x.ts?v=…`) does not change what the file is.
 */
function isRepoTypeScript(url: string): boolean {
  const file = url.replace(/[?#].*$/, '');
  return (
    file.startsWith('file:') &&
    /\.m?ts$/.test(file) &&
    !/\.d\.m?ts$/.test(file) &&
    !file.includes('/node_modules/')
  );
}

/**
 * Candidates for a relative import that does not resolve as written, the way TypeScript resolves
 * it: `./x.js` may name `./x.ts`, and `./x` may name `./x.ts` or `./x/index.ts`.
 */
function typeScriptCandidates(specifier: string): string[] {
  if (/\.m?js$/.test(specifier)) return [specifier.replace(/js$/, 'ts')];
  if (/\.[cm]?[jt]s$/.test(specifier)) return [];
  return [`${specifier}.ts`, `${specifier}/index.ts`];
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<ResolveResult> {
  if (specifier === 'trove') return { url: troveEntry, format: 'module', shortCircuit: true };
  const fromRepo = context.parentURL !== undefined && isRepoTypeScript(context.parentURL);
  if (!fromRepo || !/^\.{1,2}\//.test(specifier)) return nextResolve(specifier, context);
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    for (const candidate of typeScriptCandidates(specifier)) {
      try {
        return await nextResolve(candidate, context);
      } catch {
        // Try the next candidate; the original error is the one worth reporting.
      }
    }
    throw err;
  }
}

export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<LoadResult> {
  if (!isRepoTypeScript(url)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const { transform } = await import('esbuild');
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcefile: file,
    sourcemap: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
}
