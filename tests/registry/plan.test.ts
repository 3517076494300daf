import { describe, expect, it } from 'vitest';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import { emptyDefinitions } from '../../src/definitions/repo-definitions.ts';
import { formatPlan, planChanges } from '../../src/registry/plan.ts';

const driver = entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] });
const view = (ttl: string, extra: object = {}) =>
  featureViewSchema.parse({
    name: 'stats',
    entities: ['driver'],
    source: 'src',
    ttl,
    features: [{ name: 'rate', type: 'float32' }],
    ...extra,
  });

describe('plan', () => {
  it('lists creates, field-level updates and deletes, by kind then name', () => {
    const before = { ...emptyDefinitions(), entities: [driver], featureViews: [view('1d')] };
    const rider = entitySchema.parse({ name: 'rider', joinKeys: [{ name: 'rider_id', type: 'string' }] });
    const after = { ...emptyDefinitions(), entities: [rider], featureViews: [view('2d', { owner: 'me' })] };
    const plan = planChanges(before, after);
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'delete entities driver',
      'create entities rider',
      'update featureViews stats',
    ]);
    const text = formatPlan(plan);
    expect(text).toContain('  - entity driver');
    expect(text).toContain('  + entity rider');
    expect(text).toContain('  ~ featureView stats');
    expect(text).toContain('      owner: (absent) → "me"');
    expect(text).toContain('      ttl: 86400 → 172800');
    expect(text).toContain('1 to create, 1 to change, 1 to delete.');
  });

  it('says so when nothing changes', () => {
    const defs = { ...emptyDefinitions(), entities: [driver] };
    expect(planChanges(defs, structuredClone(defs)).changes).toEqual([]);
    expect(formatPlan({ changes: [] })).toMatch(/No changes/);
  });
});
