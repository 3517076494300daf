import type { ResolvedConfig } from '../config/trove-config.ts';
import { DefinitionError } from '../definitions/definition-problem.ts';
import { readDefinitions } from '../definitions/load-definitions.ts';
import type { RepoDefinitions } from '../definitions/repo-definitions.ts';
import { checkSources } from './check-sources.ts';
import { withRegistryStore } from './open-registry-store.ts';
import { type Plan, planChanges } from './plan.ts';
import type { RegistrySnapshot } from './registry.ts';

/** A validated repo and what applying it would change. */
export interface RepoPlan {
  current: RegistrySnapshot;
  desired: RepoDefinitions;
  plan: Plan;
}

/**
 * Validates a repo completely — definitions, references, and the sources' columns and types — and
 * diffs it against the registry. Throws a DefinitionError listing every problem found.
 */
export async function planRepo(config: ResolvedConfig): Promise<RepoPlan> {
  const current = await withRegistryStore(config, (registry) => registry.read());
  const { definitions, objects, problems } = await readDefinitions(config.repoDir);
  const checked = await checkSources(definitions, objects, {
    repoDir: config.repoDir,
    offlineStorePath: config.offlineStorePath,
    dataDirs: config.dataDirs,
  });
  problems.push(...checked.problems);
  if (problems.length > 0) throw new DefinitionError(problems);
  return { current, desired: checked.registered, plan: planChanges(current.objects, checked.registered) };
}

/** The outcome of an apply. */
export interface ApplyResult extends RepoPlan {
  /** The registry after the apply; the same as `current` when nothing changed. */
  applied: RegistrySnapshot;
  changed: boolean;
}

/**
 * Validates and registers a repo in one atomic commit. Nothing is written when any problem is
 * found, when nothing changed, or when another apply committed since this one read the registry.
 */
export async function applyRepo(config: ResolvedConfig): Promise<ApplyResult> {
  const planned = await planRepo(config);
  if (planned.plan.changes.length === 0 && planned.current.version > 0) {
    return { ...planned, applied: planned.current, changed: false };
  }
  const applied = await withRegistryStore(config, (registry) =>
    registry.compareAndSwap(planned.current.version, planned.desired),
  );
  return { ...planned, applied, changed: true };
}
