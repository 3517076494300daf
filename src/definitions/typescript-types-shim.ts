/**
 * `.trove/types/trove.d.ts`: one line that re-exports the types of the Trove that runs, so a
 * feature repo's tsconfig.json (as `trove init --typescript` writes it) can map `'trove'` to it and
 * an editor type-checks definitions with no install in the repo. The line holds this machine's path
 * to Trove, so it lives in the ignored `.trove/` folder and `trove init` and `trove apply` rewrite it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TROVE_ENTRY_URL } from './typescript-modules.ts';

export const TYPES_SHIM_PATH = path.join('.trove', 'types', 'trove.d.ts');

/** Writes the shim unless it already says the same; resolves to whether it wrote. */
export async function writeTypesShim(repoDir: string): Promise<boolean> {
  const file = path.join(repoDir, TYPES_SHIM_PATH);
  const text =
    '// Written by trove init / trove apply: the types of the Trove on this machine.\n' +
    `export * from ${JSON.stringify(fileURLToPath(TROVE_ENTRY_URL))};\n`;
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return false;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return true;
}
