/**
 * The on-demand plans of requests, remembered per registry version and request (so the hot path
 * does not resolve references again), and the runner online transforms share.
 */
import { TransformRunner } from '../../offline/on-demand/transform-runner.ts';
import { type OnDemandPlan, planOnDemand } from '../../registry/on-demand-plan.ts';
import type { Registry } from '../../registry/registry.ts';
import type { OnlineFeaturesRequest } from '../online-response.ts';
import { planKey } from '../read-online.ts';

/** Plans kept per registry version; bounded so random valid requests cannot grow memory. */
const MAX_PLANS = 1000;

export class OnDemandPlans {
  private readonly plans = new WeakMap<Registry, Map<string, OnDemandPlan | null>>();
  /** Whether a registry version has any on-demand view: reads against one without need no plan. */
  private readonly hasOnDemand = new WeakMap<Registry, boolean>();
  readonly onlineRunner: TransformRunner;

  constructor(onlineTimeoutMs: number) {
    this.onlineRunner = new TransformRunner(onlineTimeoutMs);
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
