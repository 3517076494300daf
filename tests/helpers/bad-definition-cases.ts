/**
 * Bad feature repos through the real `trove plan` and `trove apply`: each case's files are written
 * into a repo that holds a good registry, both commands must refuse them with the expected errors
 * and print nothing on stdout, and the registry file must stay byte for byte as it was.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from './run-cli.ts';
import type { TempRepo } from './temp-repo.ts';

export interface BadDefinitionCase {
  name: string;
  /** Replaces the definitions file, or adds a second one. */
  files: Record<string, string>;
  /** Each must appear in the error output. */
  expect: (string | RegExp)[];
  /** The error output is at most this long: values in it are cut short. */
  maxLength?: number;
}

/** Removes the files the cases add beside `defs.yaml`, so one case does not leak into the next. */
export async function removeCaseFiles(cases: readonly BadDefinitionCase[], repo: TempRepo): Promise<void> {
  const extra = new Set(cases.flatMap((c) => Object.keys(c.files)).filter((f) => f !== 'defs.yaml'));
  for (const file of extra) await rm(path.join(repo.dir, file), { force: true });
}

/** One test per case; `state()` gives the repo and its registry text once `beforeAll` has made them. */
export function itRejectsEach(
  cases: readonly BadDefinitionCase[],
  state: () => { repo: TempRepo; registryBefore: string },
): void {
  for (const c of cases) {
    it(`rejects ${c.name}`, async () => {
      const { repo, registryBefore } = state();
      await removeCaseFiles(cases, repo);
      for (const [file, text] of Object.entries(c.files)) await repo.write(file, text);
      for (const command of ['plan', 'apply']) {
        const result = await runCli([command, '--repo', repo.dir]);
        expect(result.code).not.toBe(0);
        expect(result.stdout).toBe('');
        for (const e of c.expect) {
          if (typeof e === 'string') expect(result.stderr).toContain(e);
          else expect(result.stderr).toMatch(e);
        }
        if (c.maxLength !== undefined) expect(result.stderr.length).toBeLessThanOrEqual(c.maxLength);
      }
      expect(await readFile(path.join(repo.dir, '.trove/registry.json'), 'utf8')).toBe(registryBefore);
    });
  }
}
