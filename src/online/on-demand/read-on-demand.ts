/**
 * Online reads of on-demand features (SPEC §8): the stored features they need are read in one
 * request to the store (one round trip, as any read), then each on-demand view's transform runs
 * over the request's rows, fed its request fields from `entities` (as Feast's clients send them)
 * and its inputs from that read. The answer has the requested features only, in order.
 */

import { normalizeValue, presentValue } from '../../definitions/input-values.ts';
import { TroveError } from '../../errors.ts';
import { fullName, type OnDemandPlan } from '../../registry/on-demand-plan.ts';
import type { Registry } from '../../registry/registry.ts';
import { showName } from '../../show-value.ts';
import { typedColumn } from '../column-type.ts';
import type {
  FeatureStatus,
  OnlineFeatureColumn,
  OnlineFeaturesRequest,
  OnlineFeaturesResponse,
} from '../online-response.ts';
import type { OnlineStore } from '../online-store.ts';
import { NO_EVENT_TIME } from '../read-online.ts';
import type { TransformStep } from './online-transform-job.ts';
import type { WorkerTransformRunner } from './worker-transform-runner.ts';

export interface OnDemandReadContext {
  store: OnlineStore;
  registry: Registry;
  runner: WorkerTransformRunner;
}

/** Each plan step's description for the worker, made once: the runner sends it once per worker. */
const transformSteps = new WeakMap<OnDemandPlan['steps'][number], TransformStep>();

function transformStepOf(step: OnDemandPlan['steps'][number]): TransformStep {
  let described = transformSteps.get(step);
  if (!described) {
    const { name, transform, mode, features } = step.view;
    described = { view: name, location: transform, mode, outputs: features };
    transformSteps.set(step, described);
  }
  return described;
}

/** The request's value columns for `fields`, presented as reads present values; 400 when one is missing. */
function requestColumns(
  plan: OnDemandPlan,
  entities: Record<string, readonly unknown[]>,
  rows: number,
): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const f of plan.requestFields) {
    const given = entities[f.name];
    if (!Array.isArray(given))
      throw new TroveError(
        'MISSING_REQUEST_FIELD',
        `on-demand view ${f.view} needs request field ${showName(f.name)} (${f.type}) as a column of the entities`,
      );
    const column = new Array(rows);
    for (let r = 0; r < rows; r++)
      column[r] = presentValue(f.type, normalizeValue(f.type, given[r], `request field ${f.name}, row ${r}`));
    out[f.name] = column;
  }
  return out;
}

export async function readOnDemand(
  ctx: OnDemandReadContext,
  plan: OnDemandPlan,
  request: OnlineFeaturesRequest,
  nowMs: number,
): Promise<OnlineFeaturesResponse> {
  const entityNames = Object.keys(request.entities);
  const rows = entityNames.length === 0 ? 0 : (request.entities[entityNames[0]!]?.length ?? 0);
  const requested = requestColumns(plan, request.entities, rows);
  const stored =
    plan.stored.length > 0
      ? await ctx.store.read(
          ctx.registry,
          { entities: request.entities, features: plan.stored, fullFeatureNames: true },
          nowMs,
        )
      : undefined;
  // Every column by full name: the stored read's, then each step's outputs as they are computed.
  const columns = new Map<string, OnlineFeatureColumn>();
  if (stored)
    stored.metadata.feature_names.forEach((name, i) => {
      columns.set(name, stored.results[i]!);
    });
  for (const step of plan.steps) {
    const inputs: Record<string, unknown[]> = { ...requested };
    for (const input of step.inputs) inputs[input.name] = columns.get(input.column)!.values;
    const out = await ctx.runner.run({ step: transformStepOf(step), columns: inputs, rows });
    step.view.features.forEach((f, o) => {
      const values = out[o]!.map((v) => presentValue(f.type, v));
      const statuses = values.map((v): FeatureStatus => (v === null ? 'NULL_VALUE' : 'PRESENT'));
      columns.set(
        fullName(step.view.name, f.name),
        typedColumn(f.type, values, statuses, new Array(rows).fill(NO_EVENT_TIME)),
      );
    });
  }
  const entityColumns = stored
    ? stored.results.slice(0, stored.results.length - plan.stored.length)
    : entityNames.map((name) => ({
        values: [...request.entities[name]!],
        statuses: new Array<FeatureStatus>(rows).fill('PRESENT'),
        event_timestamps: new Array<string>(rows).fill(NO_EVENT_TIME),
      }));
  const entityNamesOut = stored ? stored.metadata.feature_names.slice(0, entityColumns.length) : entityNames;
  return {
    metadata: { feature_names: [...entityNamesOut, ...plan.outputs.map((o) => o.outputName)] },
    results: [...entityColumns, ...plan.outputs.map((o) => columns.get(o.column)!)],
  };
}
