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
      // No optional locks: status would otherwise refresh and rewrite the index, taking the lock
      // that a user's own git command in the same checkout then fails on.
      ['--no-optional-locks', '-C', repoDir, ...args],
      { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => resolve(err ? undefined : stdout),
    );
  });
}

/**
 * The commit checked out in `repoDir` and whether the repo's folder is clean; null when the repo is
 * not in a git checkout, has no commit yet, or git is not installed. Only the repo's own folder
 * counts: a feature repo inside a larger checkout is not made dirty by changes elsewhere in it.
 * One `git status` answers both (its v2 header names the commit): a second process would cost
 * as much again, beside the join the dataset is waiting for.
 */
export async function codeVersion(repoDir: string): Promise<{ commit: string; clean: boolean } | null> {
  const out = await git(repoDir, [
    'status',
    '--porcelain=v2',
    '--branch',
    // The distance to the upstream branch is not needed, and can take a long walk of history.
    '--no-ahead-behind',
    '--',
    '.',
  ]);
  if (out === undefined) return null;
  const lines = out.split('\n').filter((line) => line !== '');
  // `(initial)` in place of a commit: the repo has none yet.
  const commit = lines.map((line) => /^# branch\.oid ([0-9a-f]+)$/.exec(line)?.[1]).find(Boolean);
  if (commit === undefined) return null;
  return { commit, clean: lines.every((line) => line.startsWith('#')) };
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
