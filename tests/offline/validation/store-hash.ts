import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Path → SHA-256 of every file under `folder`, but those under the folders named in `except`
 * (relative to `folder`): two equal results mean the store's files are byte for byte the same.
 */
export async function hashFiles(
  folder: string,
  except: readonly string[] = [],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    const relative = path.relative(folder, file);
    if (except.some((x) => relative === x || relative.startsWith(`${x}${path.sep}`))) continue;
    out[relative] = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  }
  return out;
}
