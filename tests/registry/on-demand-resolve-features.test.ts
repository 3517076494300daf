/** Feature references resolve on-demand views like any other: `view:feature`, `view:*`, services. */
import { describe, expect, it } from 'vitest';
import type { OnDemandView } from '../../src/definitions/on-demand/on-demand-view.ts';
import type { RepoDefinitions } from '../../src/definitions/repo-definitions.ts';
import { Registry } from '../../src/registry/registry.ts';
import { outputFeatures, resolveFeatures } from '../../src/registry/resolve-features.ts';

const ODV: OnDemandView = {
  kind: 'onDemand',
  name: 'fare_ratio',
  request: [{ name: 'fare', type: 'float64' }],
  inputs: ['stats:conv_rate'],
  features: [
    { name: 'ratio', type: 'float64' },
    { name: 'dear', type: 'bool' },
  ],
  mode: 'row',
  online: true,
  offline: true,
  transform: { module: 'transforms.ts', export: 'fareRatio', property: null },
};

const OBJECTS: RepoDefinitions = {
  entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
  sources: [{ kind: 'push', name: 'events', timestampField: 'ts' }],
  featureViews: [
    {
      kind: 'batch',
      name: 'stats',
      entities: ['driver'],
      source: 'events',
      ttl: 0,
      features: [{ name: 'conv_rate', type: 'float32' }],
      online: true,
      offline: true,
    },
    ODV,
  ],
  featureServices: [{ name: 'pricing', features: ['stats:conv_rate', 'fare_ratio:dear'] }],
};

describe('resolveFeatures with on-demand views', () => {
  const registry = Registry.of('p', OBJECTS);
  const names = (request: Parameters<typeof resolveFeatures>[1]) =>
    outputFeatures(resolveFeatures(registry, request), true).map((o) => o.outputName);

  it('resolves view:feature and view:*', () => {
    expect(names({ features: ['fare_ratio:dear'] })).toEqual(['fare_ratio__dear']);
    expect(names({ features: ['fare_ratio:*', 'stats:conv_rate'] })).toEqual([
      'fare_ratio__ratio',
      'fare_ratio__dear',
      'stats__conv_rate',
    ]);
  });

  it('resolves a service that includes one', () => {
    const selections = resolveFeatures(registry, { service: 'pricing' });
    expect(selections.map((s) => [s.view.kind, s.features.map((f) => f.name)])).toEqual([
      ['batch', ['conv_rate']],
      ['onDemand', ['dear']],
    ]);
  });

  it('refuses a feature the view lacks', () => {
    expect(() => resolveFeatures(registry, { features: ['fare_ratio:nope'] })).toThrow(
      'feature view fare_ratio has no feature nope',
    );
  });
});
