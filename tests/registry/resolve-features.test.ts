import { describe, expect, it } from 'vitest';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureServiceSchema } from '../../src/definitions/feature-service.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import { NotFoundError, TroveError } from '../../src/errors.ts';
import { Registry } from '../../src/registry/registry.ts';
import { outputFeatures, resolveFeatures } from '../../src/registry/resolve-features.ts';

const view = (name: string, features: string[]) =>
  featureViewSchema.parse({
    name,
    entities: ['driver'],
    source: 'src',
    features: features.map((f) => ({ name: f, type: 'int64' })),
  });

const registry = Registry.of('p', {
  entities: [entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] })],
  sources: [],
  featureViews: [view('a', ['x', 'shared']), view('b', ['y', 'z', 'shared'])],
  featureServices: [featureServiceSchema.parse({ name: 'svc', features: ['b:z', 'a', 'b:y'] })],
});

const names = (features: string[] | undefined, service?: string, full = false) =>
  outputFeatures(
    resolveFeatures(registry, { ...(features ? { features } : {}), ...(service ? { service } : {}) }),
    full,
  ).map((o) => o.outputName);

describe('feature resolution', () => {
  it('groups reads by view but names outputs in request order', () => {
    const selections = resolveFeatures(registry, { features: ['b:z', 'a:x', 'b:y'] });
    expect(selections.map((s) => s.view.name)).toEqual(['b', 'a']);
    expect(names(['b:z', 'a:x', 'b:y'])).toEqual(['z', 'x', 'y']);
    expect(names(undefined, 'svc', true)).toEqual(['b__z', 'a__x', 'a__shared', 'b__y']);
  });

  it('asks once for a feature named twice', () => {
    expect(names(['a:x', 'a:*', 'a:x'])).toEqual(['x', 'shared']);
  });

  it('refuses a name two views share unless names are full', () => {
    expect(() => names(['a:shared', 'b:shared'])).toThrow(
      /offered by both a and b; ask for full feature names/,
    );
    expect(names(['a:shared', 'b:shared'], undefined, true)).toEqual(['a__shared', 'b__shared']);
  });

  it('names what is unknown', () => {
    expect(() => names(['c:x'])).toThrow(NotFoundError);
    expect(() => names(['a:nope'])).toThrow(/feature view a has no feature nope/);
    expect(() => names(undefined, 'nope')).toThrow(/unknown feature service nope/);
    expect(() => names([])).toThrow(TroveError);
  });
});
