/**
 * The checks of one view's compute, between staging and the swap: a failing view records its
 * failures and throws ViewChecksFailed (the compute then abandons its staging folder, so the
 * view's partitions stay byte for byte as they were); a passing one records its outcome once the
 * swap committed.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { StoredFeatureView } from '../../definitions/feature-view.ts';
import type { Registry } from '../../registry/registry.ts';
import type { CheckFailure, ViewValidation } from './check-failure.ts';
import type { ChecksLog } from './skipped-checks.ts';
import { hasChecks, validateStaged } from './validate-staged.ts';
import { recordValidation } from './validation-record.ts';

/** What a compute takes about checks. */
export interface ComputeChecksOptions {
  /** Commits without running checks (emergencies only; logged as a warning, recorded as skipped). */
  skipChecks?: boolean;
  /** Where the warning of `skipChecks` goes; stderr as a JSON line by default. */
  log?: ChecksLog;
}

/** A view whose staged rows failed their checks; nothing of it was committed. */
export class ViewChecksFailed extends Error {
  readonly validation: ViewValidation;
  constructor(view: string, failures: CheckFailure[]) {
    super(`feature view ${view}: ${failures.length} checks failed`);
    this.name = 'ViewChecksFailed';
    this.validation = { view, failures };
  }
}

/**
 * Runs `view`'s checks over its staged partitions. Throws ViewChecksFailed after recording the
 * failures; otherwise returns what records the outcome, to call once the swap committed.
 */
export async function checkBeforeCommit(
  connection: DuckDBConnection,
  offlineStorePath: string,
  registry: Registry,
  view: StoredFeatureView,
  staging: string,
  staged: Iterable<string>,
  rows: number,
  options: ComputeChecksOptions,
): Promise<() => Promise<void>> {
  const checked = view.kind === 'batch' && hasChecks(view);
  if (!checked) return async () => void (await recordValidation(offlineStorePath, view.name, 'passed', []));
  if (options.skipChecks)
    return async () => void (await recordValidation(offlineStorePath, view.name, 'skipped', []));
  const keys = registry.joinKeysOf(view).map((k) => k.name);
  const failures = await validateStaged(connection, view, keys, staging, [...staged].sort(), rows);
  if (failures.length > 0) {
    await recordValidation(offlineStorePath, view.name, 'failed', failures);
    throw new ViewChecksFailed(view.name, failures);
  }
  return async () => void (await recordValidation(offlineStorePath, view.name, 'passed', []));
}

/** Collects a view's refusal into `refused`; any other error is thrown on. */
export function collectRefusal(err: unknown, refused: ViewValidation[]): undefined {
  if (!(err instanceof ViewChecksFailed)) throw err;
  refused.push(err.validation);
  return undefined;
}
