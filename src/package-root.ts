/**
 * The folder of Trove's own package.json, where `templates/` and the bundled `feature_repo/` live.
 * Found by walking up, because this module runs both from `src/` and, compiled, from `dist/src/`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'templates'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`Trove's package folder not found above ${from}`);
  }
}

export const PACKAGE_ROOT: string = findPackageRoot(import.meta.dirname);
