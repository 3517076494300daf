/**
 * Imports a feature repo's TypeScript definition module. The first call registers the hooks of
 * typescript-hooks.ts, so a repo in any folder loads as ES modules with `'trove'` resolved to this
 * Trove; a repo of YAML only never pays for them (a hooks thread and esbuild).
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { TypeScriptHooksData } from './typescript-hooks.ts';

// Compiled Trove runs from dist/ as JavaScript; tests and scripts run these sources directly.
const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** URL of Trove's library entry (src/index), which `import … from 'trove'` resolves to. */
export const TROVE_ENTRY_URL = new URL(`../index${EXTENSION}`, import.meta.url).href;

/**
 * The hooks run on Node's loader thread, which reads JavaScript only: sources run under vitest or
 * tsx register the compiled copy in dist/ (which npm ci and the tests build).
 */
const HOOKS_URL =
  EXTENSION === '.ts'
    ? new URL('../../dist/src/definitions/typescript-hooks.js', import.meta.url)
    : new URL('./typescript-hooks.js', import.meta.url);

let registered = false;

function registerTypeScriptHooks(): void {
  if (registered) return;
  const data: TypeScriptHooksData = { troveEntry: TROVE_ENTRY_URL };
  register(HOOKS_URL, { data });
  registered = true;
}

/**
 * The module's exports; throws what its loading threw (syntax errors, failed imports). Node keeps
 * one instance per URL: a different `version` imports the file afresh (the modules it imports
 * stay as first loaded).
 */
export async function importTypeScriptModule(
  file: string,
  version?: string,
): Promise<Record<string, unknown>> {
  registerTypeScriptHooks();
  const url = pathToFileURL(file);
  if (version !== undefined) url.searchParams.set('v', version);
  return (await import(url.href)) as Record<string, unknown>;
}
