/**
 * `trove_online_feature_values_total` counts every value of an answer under its view and status,
 * however the requested features interleave their views.
 */
import { describe, expect, it } from 'vitest';
import type { FeatureStatus } from '../../src/online/online-response.ts';
import type { OutputFeature } from '../../src/registry/resolve-features.ts';
import { ServerMetrics } from '../../src/server/server-metrics.ts';

const output = (view: string) => ({ view: { name: view } }) as unknown as OutputFeature;
const column = (...statuses: FeatureStatus[]) => ({ values: [], statuses, event_timestamps: [] });

describe('counting online values', () => {
  it('adds each status of each view once per value', async () => {
    const metrics = new ServerMetrics();
    metrics.countOnline([output('a'), output('b'), output('a')], {
      metadata: { feature_names: ['id', 'a1', 'b1', 'a2'] },
      results: [
        column('PRESENT', 'PRESENT'),
        column('PRESENT', 'NOT_FOUND'),
        column('NULL_VALUE', 'NULL_VALUE'),
        column('PRESENT', 'OUTSIDE_MAX_AGE'),
      ],
    });
    const text = await metrics.registry.metrics();
    const count = (view: string, status: string) =>
      Number(
        new RegExp(
          `trove_online_feature_values_total\\{feature_view="${view}",status="${status}"\\} (\\d+)`,
        ).exec(text)?.[1] ?? 0,
      );
    expect(count('a', 'PRESENT')).toBe(2);
    expect(count('a', 'NOT_FOUND')).toBe(1);
    expect(count('a', 'OUTSIDE_MAX_AGE')).toBe(1);
    expect(count('b', 'NULL_VALUE')).toBe(2);
    expect(count('b', 'PRESENT')).toBe(0);
  });
});
