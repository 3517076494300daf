/**
 * On-demand features in training datasets (SPEC §8): the point-in-time join's record batches
 * (which carry the entity table's columns and every stored feature the on-demand views need, by
 * full name) go through each view's transform batch by batch, so memory stays bounded, and come
 * out as the requested columns only: the entity table's, then the features in request order.
 * Inputs reach a transform as online reads present them (int64 as bigint, timestamps as Date), so
 * the same function sees the same values on both paths.
 */
import {
  Binary,
  Bool,
  type DataType,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { TransformFunction } from '../../definitions/on-demand/transform-function.ts';
import { listElementType, type ScalarType, type ValueType } from '../../definitions/value-type.ts';
import { TroveError } from '../../errors.ts';
import { normalizeValue, presentValue } from '../../online/input-values.ts';
import { fullName, type OnDemandPlan } from '../../registry/on-demand-plan.ts';
import { showName } from '../../show-value.ts';
import type { TransformRunner } from './transform-runner.ts';

/** The Arrow type of a value type, as training datasets write on-demand features. */
export function arrowTypeOfValue(type: ValueType): DataType {
  const element = listElementType(type);
  if (element) return new List(new Field('item', arrowTypeOfValue(element), true));
  const scalars: Record<ScalarType, () => DataType> = {
    int32: () => new Int32(),
    int64: () => new Int64(),
    float32: () => new Float32(),
    float64: () => new Float64(),
    string: () => new Utf8(),
    bool: () => new Bool(),
    bytes: () => new Binary(),
    timestamp: () => new TimestampMicrosecond('UTC'),
  };
  return scalars[type as ScalarType]();
}

/** An Arrow value as online reads present a value of `type` (timestamps come as epoch ms). */
function presentArrowValue(type: ValueType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const element = listElementType(type);
  if (element) {
    const items = value as { toArray?: () => unknown[] } & Iterable<unknown>;
    return [...items].map((v) => presentArrowValue(element, v));
  }
  if (type === 'timestamp') return new Date(Math.floor(Number(value)));
  if (type === 'int64' && typeof value !== 'bigint') return BigInt(value as number);
  return value;
}

/** A canonical value of `type` as an Arrow builder takes it. */
function arrowValue(type: ValueType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const element = listElementType(type);
  if (element) return (value as unknown[]).map((v) => arrowValue(element, v));
  if (type === 'timestamp') return Number(value as bigint) / 1000;
  return value;
}

export interface OnDemandBatchOptions {
  plan: OnDemandPlan;
  runner: TransformRunner;
  transformOf: (step: OnDemandPlan['steps'][number]) => Promise<TransformFunction>;
}

/** The schema and batches of a dataset with on-demand features, from the stored features' join. */
export async function withOnDemandFeatures(
  options: OnDemandBatchOptions,
  base: { schema: Schema; batches: AsyncIterable<RecordBatch> },
): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
  const { plan, runner } = options;
  const storedColumns = new Set(plan.stored.map((ref) => fullName(...(ref.split(':') as [string, string]))));
  const entityFields = base.schema.fields.filter((f) => !storedColumns.has(f.name));
  for (const f of plan.requestFields) {
    if (!entityFields.some((e) => e.name === f.name))
      throw new TroveError(
        'MISSING_REQUEST_FIELD',
        `on-demand view ${f.view} needs request field ${showName(f.name)} (${f.type}) as a column of the entity table`,
      );
  }
  const outputFields = plan.outputs.map((o) => {
    const stored = base.schema.fields.find((f) => f.name === o.column);
    return new Field(o.outputName, stored ? stored.type : arrowTypeOfValue(o.type), true);
  });
  const schema = new Schema([...entityFields, ...outputFields]);
  const transforms = await Promise.all(plan.steps.map((s) => options.transformOf(s)));

  async function* batches(): AsyncGenerator<RecordBatch> {
    let firstRow = 0;
    for await (const batch of base.batches) {
      const rows = batch.numRows;
      const columns = new Map<string, unknown[]>();
      const valuesOf = (name: string, type: ValueType): unknown[] => {
        let values = columns.get(name);
        if (!values) {
          const child = batch.getChild(name);
          values = new Array(rows);
          for (let r = 0; r < rows; r++) values[r] = presentArrowValue(type, child?.get(r) ?? null);
          columns.set(name, values);
        }
        return values;
      };
      const requested: Record<string, unknown[]> = {};
      for (const f of plan.requestFields)
        requested[f.name] = valuesOf(f.name, f.type).map((v, r) =>
          presentValue(f.type, normalizeValue(f.type, v, `request field ${f.name}, row ${firstRow + r}`)),
        );
      const computed = new Map<string, { type: ValueType; values: unknown[] }>();
      plan.steps.forEach((step, s) => {
        const inputs: Record<string, unknown[]> = { ...requested };
        for (const input of step.inputs) {
          const own = computed.get(input.column);
          if (own) inputs[input.name] = own.values.map((v) => presentValue(own.type, v));
          else {
            const ref = `${input.column.slice(0, input.column.indexOf('__'))}:${input.name}`;
            inputs[input.name] = valuesOf(input.column, plan.storedTypes.get(ref)!);
          }
        }
        const out = runner.runNow({
          view: step.view.name,
          mode: step.view.mode,
          transform: transforms[s] as never,
          columns: inputs,
          rows,
          outputs: step.view.features,
          firstRow,
        });
        step.view.features.forEach((f, o) => {
          computed.set(fullName(step.view.name, f.name), { type: f.type, values: out[o]! });
        });
      });
      const data = [
        ...entityFields.map((f) => batch.getChild(f.name)!.data[0]!),
        ...plan.outputs.map((o, i) => {
          const own = computed.get(o.column);
          if (!own) return batch.getChild(o.column)!.data[0]!;
          const type = outputFields[i]!.type;
          return vectorFromArray(
            own.values.map((v) => arrowValue(own.type, v)),
            type,
          ).data[0]!;
        }),
      ];
      firstRow += rows;
      yield new RecordBatch(
        schema,
        makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: data }),
      );
    }
  }
  return { schema, batches: batches() };
}
