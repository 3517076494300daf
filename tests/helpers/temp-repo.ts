import { randomUUID } from 'node:crypto';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateExampleData } from '../../src/example/generate-example-data.ts';

const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * A scratch feature repo in the system's temp folder, outside Trove's checkout, as a team's own
 * repo would be: TypeScript definition modules in it import 'trove' with nothing installed there.
 */
export interface TempRepo {
  dir: string;
  write(file: string, text: string): Promise<void>;
  remove(): Promise<void>;
}

/** A scratch repo in the temp folder, or in `dir`. */
export async function makeTempRepo(
  dir: string = path.join(tmpdir(), `trove-test-${randomUUID()}`),
): Promise<TempRepo> {
  await mkdir(dir, { recursive: true });
  return {
    dir,
    write: async (file, text) => {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), text);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Copies the bundled TypeScript example into a temp repo, with small generated data whose event
 * times end at `end` (default: the example's fixed end), from `seed` (default: the example's).
 */
export async function copyExampleRepo(
  repo: TempRepo,
  rows = 2_000,
  end?: Date,
  seed?: number,
): Promise<void> {
  const source = path.join(PROJECT_ROOT, 'feature_repo');
  for (const file of ['trove.yaml', 'entities.ts', 'sources.ts', 'feature-views.ts', 'feature-services.ts']) {
    await cp(path.join(source, file), path.join(repo.dir, file));
  }
  await generateExampleData(path.join(repo.dir, 'data'), { rows, end, seed });
}

/** Writes the example data and a minimal trove.yaml, for repos whose definitions a test writes. */
export async function seedRepo(repo: TempRepo, rows = 1_000): Promise<void> {
  await repo.write('trove.yaml', 'project: test_project\n');
  await generateExampleData(path.join(repo.dir, 'data'), { rows });
}

export { PROJECT_ROOT };
