import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeVersion } from '../../../src/offline/lineage/code-version.ts';

describe('code version of a feature repo', () => {
  let dir: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
      encoding: 'utf8',
    }).trim();
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'trove-code-version-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is null outside a checkout and before the first commit', async () => {
    const outside = path.join(dir, 'outside');
    await mkdir(outside);
    expect(await codeVersion(outside)).toBeNull();
    git('init', '-q');
    expect(await codeVersion(dir)).toBeNull();
  });

  it('names the commit and whether the repo folder alone has changes', async () => {
    await mkdir(path.join(dir, 'repo'));
    await writeFile(path.join(dir, 'repo', 'views.ts'), 'a\n');
    await writeFile(path.join(dir, '.gitignore'), 'ignored/\n');
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    const head = git('rev-parse', 'HEAD');
    const repo = path.join(dir, 'repo');
    expect(await codeVersion(repo)).toEqual({ commit: head, clean: true });

    await writeFile(path.join(dir, 'elsewhere.txt'), 'x\n'); // outside the repo folder
    await mkdir(path.join(repo, 'ignored'));
    await writeFile(path.join(repo, 'ignored', 'data.parquet'), 'x'); // ignored by git
    expect(await codeVersion(repo)).toEqual({ commit: head, clean: true });
    expect(await codeVersion(dir)).toEqual({ commit: head, clean: false });

    await writeFile(path.join(repo, 'new.ts'), 'b\n'); // untracked, not ignored
    expect(await codeVersion(repo)).toEqual({ commit: head, clean: false });
    await rm(path.join(repo, 'new.ts'));
    await writeFile(path.join(repo, 'views.ts'), 'changed\n'); // tracked, changed
    expect(await codeVersion(repo)).toEqual({ commit: head, clean: false });
    git('checkout', '-q', '--', 'repo/views.ts');

    git('checkout', '-q', '--detach');
    expect(await codeVersion(repo)).toEqual({ commit: head, clean: true });
  });
});
