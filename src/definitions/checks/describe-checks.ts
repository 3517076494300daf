import type { BatchFeatureView } from '../feature-view.ts';
import { describeAllowed } from './row-checks.ts';

/**
 * The checks a batch view declares, one text per feature or view (`rate: min 0, max 1`,
 * `view: minRows 10`), for `trove plan` to show beside a view it would create.
 */
export function describeChecks(view: BatchFeatureView): string[] {
  const lines: string[] = [];
  if (view.checks?.minRows !== undefined) lines.push(`view: minRows ${view.checks.minRows}`);
  for (const feature of view.features) {
    const c = feature.checks;
    if (!c) continue;
    const parts: string[] = [];
    if (c.notNull) parts.push('notNull');
    if (c.min !== undefined) parts.push(`min ${c.min}`);
    if (c.max !== undefined) parts.push(`max ${c.max}`);
    if (c.allowed !== undefined) parts.push(`allowed ${describeAllowed(c.allowed)}`);
    if (c.maxNullFraction !== undefined) parts.push(`maxNullFraction ${c.maxNullFraction}`);
    if (parts.length > 0) lines.push(`${feature.name}: ${parts.join(', ')}`);
  }
  return lines;
}
