/**
 * `loadTransform` finds a transform where the registry says it lives, imports a module again only
 * once it changed, and refuses what is missing or not a function, naming the view, module and export.
 */
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTransform } from '../../src/definitions/on-demand/load-transform.ts';
import type { RowTransform } from '../../src/definitions/on-demand/transform-function.ts';
import { TroveError } from '../../src/errors.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

describe('loadTransform', () => {
  let repo: TempRepo;

  beforeAll(async () => {
    repo = await makeTempRepo();
    await repo.write(
      'lib/transforms.ts',
      `import { scale } from './scale';
export function doubled(row: Record<string, unknown>) { return { y: (row.x as number) * scale }; }
export const answer = 42;
`,
    );
    await repo.write('lib/scale.ts', 'export const scale: number = 2;\n');
    await repo.write(
      'views.ts',
      `import { onDemandView } from 'trove';
export const tripled = onDemandView({
  name: 'tripled',
  request: [{ name: 'x', type: 'float64' }],
  features: [{ name: 'y', type: 'float64' }],
  transform: (row) => ({ y: (row.x as number) * 3 }),
});
`,
    );
  });
  afterAll(() => repo.remove());

  it('loads an exported function, and a view’s transform property', async () => {
    const doubled = (await loadTransform(repo.dir, {
      module: 'lib/transforms.ts',
      export: 'doubled',
      property: null,
    })) as RowTransform;
    expect(doubled({ x: 4 })).toEqual({ y: 8 });
    const tripled = (await loadTransform(repo.dir, {
      module: 'views.ts',
      export: 'tripled',
      property: 'transform',
    })) as RowTransform;
    expect(tripled({ x: 4 })).toEqual({ y: 12 });
  });

  it('imports a module once while it is unchanged, and again once it changed', async () => {
    const at = { module: 'lib/transforms.ts', export: 'doubled', property: null } as const;
    const first = await loadTransform(repo.dir, at);
    expect(await loadTransform(repo.dir, at)).toBe(first);
    await repo.write(
      'lib/transforms.ts',
      `export function doubled(row: Record<string, unknown>) { return { y: (row.x as number) * 20 }; }\n`,
    );
    // The same size and a later mtime would do as well; this makes the change certain.
    const later = new Date(Date.now() + 5_000);
    await utimes(path.join(repo.dir, 'lib/transforms.ts'), later, later);
    const second = (await loadTransform(repo.dir, at)) as RowTransform;
    expect(second).not.toBe(first);
    expect(second({ x: 1 })).toEqual({ y: 20 });
  });

  const refusals = [
    {
      name: 'a missing module',
      location: { module: 'lib/nothing.ts', export: 'f', property: null },
      code: 'TRANSFORM_NOT_FOUND',
      message: 'on-demand view v: transform lib/nothing.ts#f: module lib/nothing.ts not found',
    },
    {
      name: 'a missing export',
      location: { module: 'views.ts', export: 'doubled', property: null },
      code: 'TRANSFORM_NOT_FOUND',
      message:
        'on-demand view v: transform views.ts#doubled: module views.ts has no export doubled (it exports: tripled)',
    },
    {
      name: 'an export that is not a function',
      location: { module: 'views.ts', export: 'tripled', property: null },
      code: 'TRANSFORM_NOT_A_FUNCTION',
      message:
        'on-demand view v: transform views.ts#tripled: export tripled of views.ts is an object, not a function; it is an on-demand view, whose transform is tripled.transform',
    },
    {
      name: 'a module outside the repo',
      location: { module: '../elsewhere.ts', export: 'f', property: null },
      code: 'TRANSFORM_NOT_FOUND',
      message: 'module ../elsewhere.ts is outside the repo',
    },
  ] as const;
  for (const r of refusals) {
    it(`refuses ${r.name}, naming the view, module and export`, async () => {
      const err = await loadTransform(repo.dir, r.location, 'v').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TroveError);
      expect((err as TroveError).code).toBe(r.code);
      expect((err as TroveError).message).toContain(r.message);
    });
  }
});
