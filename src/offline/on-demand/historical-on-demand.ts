/**
 * Training datasets with on-demand features: the stored features they need are joined as for any
 * dataset (full names, so inputs of different views never collide), then run through the
 * transforms batch by batch (on-demand-batches.ts).
 */
import type { RecordBatch, Schema } from 'apache-arrow';
import { type OnDemandPlan, planOnDemand } from '../../registry/on-demand-plan.ts';
import type { Registry } from '../../registry/registry.ts';
import type { HistoricalRequest } from '../historical-query.ts';
import type { OfflineConfig } from '../offline-duckdb.ts';
import { withOnDemandFeatures } from './on-demand-batches.ts';
import { TransformRunner } from './transform-runner.ts';

const DEFAULT_OFFLINE_TIMEOUT_MS = 60_000;

/** The request's on-demand plan, or undefined when it asks for no on-demand feature. */
export function historicalOnDemandPlan(
  registry: Registry,
  request: HistoricalRequest,
): OnDemandPlan | undefined {
  return planOnDemand(registry, {
    ...(request.features ? { features: request.features } : {}),
    ...(request.service !== undefined ? { service: request.service } : {}),
    ...(request.fullFeatureNames !== undefined ? { fullFeatureNames: request.fullFeatureNames } : {}),
  });
}

/** The request for the stored features a plan reads, by full name. */
export function storedRequest(request: HistoricalRequest, plan: OnDemandPlan): HistoricalRequest {
  const { service: _service, ...rest } = request;
  return { ...rest, features: plan.stored, fullFeatureNames: true };
}

/** A dataset's batches with the plan's on-demand features, from the stored features' batches. */
export async function onDemandDataset(
  config: OfflineConfig,
  plan: OnDemandPlan,
  stored: { schema: Schema; batches: AsyncIterable<RecordBatch> },
): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
  const { loadTransform } = await import('../../definitions/on-demand/load-transform.ts');
  return withOnDemandFeatures(
    {
      plan,
      runner: new TransformRunner(config.onDemand?.offlineTimeoutMs ?? DEFAULT_OFFLINE_TIMEOUT_MS),
      transformOf: (step) => loadTransform(config.repoDir, step.view.transform, step.view.name),
    },
    stored,
  );
}
