/**
 * Where Trove may read and write files. A feature repo may come from anyone (a cloned project, a
 * pull request under review), so paths it names are confined to the repo, the offline store and the
 * folders the operator lists in `TROVE_DATA_DIRS`; paths are compared after resolving symbolic
 * links, so a link inside the repo cannot lead out of it. See docs/security.md.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** What a DuckDB instance may touch. */
export interface FileAccess {
  /** Folders DuckDB may read and write below (real paths). */
  directories: readonly string[];
  /** Single files besides, named by the operator (an entity file, an output file). */
  files?: readonly string[];
}

/**
 * The real path of `p` (absolute): symbolic links resolved. For a path that does not exist (yet),
 * the real path of its nearest existing ancestor joined with the rest, which is where it would be
 * created.
 */
export async function realPathOf(p: string): Promise<string> {
  const absolute = path.resolve(p);
  const rest: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      return path.join(await realpath(current), ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = path.dirname(current);
      // ENOENT: not there yet; ENOTDIR: a file where a folder would be (the path cannot exist).
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) throw err;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/** Whether `p` is `root` or below it; both absolute and normalized. */
export function isInside(root: string, p: string): boolean {
  const relative = path.relative(root, p);
  return (
    relative === '' ||
    (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative))
  );
}

/**
 * The real path of `p` when it lies inside one of `roots` (real paths) after resolving symbolic
 * links; undefined when it leads outside all of them.
 */
export async function realPathInside(roots: readonly string[], p: string): Promise<string | undefined> {
  const real = await realPathOf(p);
  return roots.some((root) => isInside(root, real)) ? real : undefined;
}

/** Real paths of folders, for `FileAccess.directories`. */
export function realDirectories(folders: readonly string[]): Promise<string[]> {
  return Promise.all(folders.map(realPathOf));
}
