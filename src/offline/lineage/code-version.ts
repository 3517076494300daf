/**
 * Which code made a dataset: the feature repo's git commit and whether its tree had changes not
 * committed (tracked files changed, or files git does not ignore added), and Trove's own version.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../package-root.ts';

function git(repoDir: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-C', repoDir, ...args],
      { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => resolve(err ? undefined : stdout),
    );
  });
}

/**
 * The commit checked out in `repoDir` and whether the repo's folder is clean; null when the repo is
 * not in a git checkout (or git is not installed). Only the repo's own folder counts: a feature repo
 * inside a larger checkout is not made dirty by changes elsewhere in it.
 */
export async function codeVersion(repoDir: string): Promise<{ commit: string; clean: boolean } | null> {
  const [commit, status] = await Promise.all([
    git(repoDir, ['rev-parse', 'HEAD']),
    git(repoDir, ['status', '--porcelain', '--', '.']),
  ]);
  if (commit === undefined || status === undefined) return null;
  return { commit: commit.trim(), clean: status.trim() === '' };
}

let version: Promise<string> | undefined;

/** Trove's version, from its package.json. */
export function troveVersion(): Promise<string> {
  version ??= readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8').then(
    (text) => String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown'),
    () => 'unknown',
  );
  return version;
}
