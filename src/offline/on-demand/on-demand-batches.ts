/**
 * On-demand features in training datasets (SPEC §8): the point-in-time join's record batches
 * (which carry the entity table's columns and every stored feature the on-demand views need, by
 * full name) go through each view's transform in groups of batches (at most GROUP_ROWS rows and a
 * batch more), so memory stays bounded and a transform's watchdog starts once per group, and come
 * out batch by batch as the requested columns only: the entity table's, then the features in
 * request order. Numeric columns are read from and written to Arrow buffers directly.
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
  Type,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import { normalizeValue, presentValue } from '../../definitions/input-values.ts';
import type { TransformFunction } from '../../definitions/on-demand/transform-function.ts';
import { listElementType, type ScalarType, type ValueType } from '../../definitions/value-type.ts';
import { TroveError } from '../../errors.ts';
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

/**
 * How online reads present a value of `type`, from an Arrow value (timestamps come as epoch ms).
 * Resolved once per column: the type decides the conversion, not each value.
 */
function arrowPresenter(type: ValueType): (value: unknown) => unknown {
  const element = listElementType(type);
  if (element) {
    const item = arrowPresenter(element);
    return (value) => (value == null ? null : [...(value as Iterable<unknown>)].map(item));
  }
  if (type === 'timestamp') return (value) => (value == null ? null : new Date(Math.floor(Number(value))));
  if (type === 'int64')
    return (value) => (value == null ? null : typeof value === 'bigint' ? value : BigInt(value as number));
  return (value) => value ?? null;
}

/** Canonical values of `type` as an Arrow builder takes them; the same array when no value changes. */
function arrowValues(type: ValueType, values: unknown[]): unknown[] {
  const element = listElementType(type);
  if (element) return values.map((v) => (v == null ? null : arrowValues(element, v as unknown[])));
  if (type === 'timestamp') return values.map((v) => (v == null ? null : Number(v as bigint) / 1000));
  return values;
}

/** Whether an Arrow type's values buffer holds exactly what `Vector.get` returns (no float16). */
function plainNumeric(type: DataType): boolean {
  return (
    type.typeId === Type.Int ||
    (type.typeId === Type.Float && (type as unknown as { precision: number }).precision !== 0)
  );
}

/**
 * Appends a column's values to `into` from `at`, as `present` makes them. Numeric columns are read
 * from their buffers and validity bitmaps, the rest value by value.
 */
function readColumn(
  child: Vector | null,
  rows: number,
  present: (v: unknown) => unknown,
  into: unknown[],
  at: number,
): void {
  if (!child) {
    for (let r = 0; r < rows; r++) into[at + r] = present(null);
    return;
  }
  if (!plainNumeric(child.type)) {
    for (let r = 0; r < rows; r++) into[at + r] = present(child.get(r));
    return;
  }
  let i = at;
  for (const d of child.data) {
    const values = d.values as ArrayLike<unknown>;
    const bitmap = d.nullCount > 0 ? d.nullBitmap : undefined;
    for (let r = 0; r < d.length; r++) {
      const bit = d.offset + r;
      into[i++] = bitmap && (bitmap[bit >> 3]! & (1 << (bit & 7))) === 0 ? null : present(values[bit]);
    }
  }
}

/** The typed array a numeric output column is built in, or undefined for other types. */
function typedArrayOf(
  type: DataType,
  rows: number,
): Float64Array | Float32Array | Int32Array | BigInt64Array | undefined {
  if (type.typeId === Type.Float) {
    const precision = (type as unknown as { precision: number }).precision;
    return precision === 2 ? new Float64Array(rows) : precision === 1 ? new Float32Array(rows) : undefined;
  }
  if (type.typeId === Type.Int) {
    const { bitWidth, isSigned } = type as unknown as { bitWidth: number; isSigned: boolean };
    if (!isSigned) return undefined;
    return bitWidth === 32 ? new Int32Array(rows) : bitWidth === 64 ? new BigInt64Array(rows) : undefined;
  }
  return undefined;
}

/** An output column's Arrow data: numeric ones written straight into a buffer and bitmap. */
function columnData(type: DataType, values: unknown[]) {
  const array = typedArrayOf(type, values.length);
  if (!array) return vectorFromArray(values, type).data[0]!;
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    if (v === null || v === undefined) nullCount++;
    else {
      (array as unknown as unknown[])[r] = v;
      bitmap[r >> 3]! |= 1 << (r & 7);
    }
  }
  return makeData({ type, length: values.length, nullCount, data: array, nullBitmap: bitmap } as never);
}

/**
 * Whether a value is already what checking and presenting it as `type` would give, so the general
 * path (and the message it builds for each value) is skipped for the common types.
 */
function isPresented(type: ValueType, value: unknown): boolean {
  switch (type) {
    case 'float64':
      return typeof value === 'number';
    case 'int64':
      return typeof value === 'bigint' && BigInt.asIntN(64, value) === value;
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    default:
      return value === null;
  }
}

/** A group's rows go through each transform in one call, so its watchdog starts once per group. */
const GROUP_ROWS = 65_536;

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

  /** The output batches of a group of input batches, the transforms run once over all their rows. */
  function* outputOf(group: RecordBatch[], firstRow: number): Generator<RecordBatch> {
    let rows = 0;
    for (const b of group) rows += b.numRows;
    const columns = new Map<string, unknown[]>();
    const valuesOf = (name: string, type: ValueType): unknown[] => {
      let values = columns.get(name);
      if (!values) {
        const present = arrowPresenter(type);
        values = new Array(rows);
        let at = 0;
        for (const batch of group) {
          readColumn(batch.getChild(name), batch.numRows, present, values, at);
          at += batch.numRows;
        }
        columns.set(name, values);
      }
      return values;
    };
    const requested: Record<string, unknown[]> = {};
    for (const f of plan.requestFields)
      requested[f.name] = valuesOf(f.name, f.type).map((v, r) =>
        isPresented(f.type, v)
          ? v
          : presentValue(f.type, normalizeValue(f.type, v, `request field ${f.name}, row ${firstRow + r}`)),
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
    const built = plan.outputs.map((o) => {
      const own = computed.get(o.column);
      return own ? arrowValues(own.type, own.values) : undefined;
    });
    let offset = 0;
    for (const batch of group) {
      const n = batch.numRows;
      const data = [
        ...entityFields.map((f) => batch.getChild(f.name)!.data[0]!),
        ...plan.outputs.map((o, i) => {
          const values = built[i];
          if (!values) return batch.getChild(o.column)!.data[0]!;
          const part = group.length === 1 ? values : values.slice(offset, offset + n);
          return columnData(outputFields[i]!.type, part);
        }),
      ];
      offset += n;
      yield new RecordBatch(
        schema,
        makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children: data }),
      );
    }
  }

  async function* batches(): AsyncGenerator<RecordBatch> {
    let firstRow = 0;
    let group: RecordBatch[] = [];
    let groupRows = 0;
    for await (const batch of base.batches) {
      group.push(batch);
      groupRows += batch.numRows;
      if (groupRows >= GROUP_ROWS) {
        yield* outputOf(group, firstRow);
        firstRow += groupRows;
        group = [];
        groupRows = 0;
      }
    }
    if (group.length > 0) yield* outputOf(group, firstRow);
  }
  return { schema, batches: batches() };
}
