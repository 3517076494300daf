/**
 * The on-demand plans of requests, remembered per registry version and request (so the hot path
 * does not resolve references again), and the runner online transforms share.
 */
import { type OnDemandPlan, planOnDemand } from '../../registry/on-demand-plan.ts';
import type { Registry } from '../../registry/registry.ts';
import type { OnlineFeaturesRequest } from '../online-response.ts';
import { planKey } from '../read-online.ts';
import { WorkerTransformRunner } from './worker-transform-runner.ts';

/**
 * How long serving reuses an imported transform module before looking at its file again: an edited
 * transform is served within this interval, and a read does not pay a file check.
 */
export const TRANSFORM_RECHECK_MS = 1000;

/** Plans kept per registry version; bounded so random valid requests cannot grow memory. */
const MAX_PLANS = 1000;

export class OnDemandPlans {
  private readonly plans = new WeakMap<Registry, Map<string, OnDemandPlan | null>>();
  /** Whether a registry version has any on-demand view: reads against one without need no plan. */
  private readonly hasOnDemand = new WeakMap<Registry, boolean>();
  readonly onlineRunner: WorkerTransformRunner;

  constructor(repoDir: string, onlineTimeoutMs: number) {
    this.onlineRunner = new WorkerTransformRunner({
      repoDir,
      limitMs: onlineTimeoutMs,
      recheckMs: TRANSFORM_RECHECK_MS,
    });
  }

  /** Starts the transform worker with the registry's on-demand transforms loaded, if it has any. */
  async prepare(registry: Registry): Promise<void> {
    const steps = registry.featureViews().flatMap((v) =>
      // Row form over no rows: the worker imports each transform and calls none, whatever its form.
      v.kind === 'onDemand'
        ? [{ view: v.name, location: v.transform, mode: 'row' as const, outputs: v.features }]
        : [],
    );
    if (steps.length > 0) await this.onlineRunner.prepare(steps);
  }

  /** The request's plan, or undefined when it asks for no on-demand feature. */
  plan(registry: Registry, request: OnlineFeaturesRequest): OnDemandPlan | undefined {
    let any = this.hasOnDemand.get(registry);
    if (any === undefined) {
      any = registry.featureViews().some((v) => v.kind === 'onDemand');
      this.hasOnDemand.set(registry, any);
    }
    if (!any) return undefined;
    let map = this.plans.get(registry);
    if (!map) {
      map = new Map();
      this.plans.set(registry, map);
    }
    const key = planKey(request);
    let plan = map.get(key);
    if (plan === undefined) {
      plan = planOnDemand(registry, request) ?? null;
      if (map.size >= MAX_PLANS) map.clear();
      map.set(key, plan);
    }
    return plan ?? undefined;
  }
}
