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
import { isNumberColumn, type NumberColumn, type TransformRunner } from './transform-runner.ts';

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

/**
 * The unboxed array a row-form transform can read a column of `type` from, when the column's
 * Arrow type holds exactly the numbers reading it value by value would present (int32 and float
 * types; float32 only from float32): undefined for the rest.
 */
function numberArrayFor(type: ValueType, arrow: DataType, rows: number): NumberColumn['numbers'] | undefined {
  const precision =
    arrow.typeId === Type.Float ? (arrow as unknown as { precision: number }).precision : undefined;
  const int32 =
    arrow.typeId === Type.Int &&
    (arrow as unknown as { bitWidth: number; isSigned: boolean }).bitWidth === 32 &&
    (arrow as unknown as { isSigned: boolean }).isSigned;
  if (type === 'float64' && (precision === 2 || precision === 1 || int32)) return new Float64Array(rows);
  if (type === 'float32' && precision === 1) return new Float32Array(rows);
  if (type === 'int32' && int32) return new Int32Array(rows);
  return undefined;
}

/**
 * A column of the group's batches as a NumberColumn (numbers copied from the Arrow buffers, null
 * rows marked from the bitmaps), or undefined when `numberArrayFor` refuses its type.
 */
function readNumbers(group: readonly RecordBatch[], name: string, type: ValueType, rows: number) {
  const first = group[0]?.getChild(name);
  if (!first) return undefined;
  const numbers = numberArrayFor(type, first.type, rows);
  if (!numbers) return undefined;
  let valid: Uint8Array | undefined;
  let at = 0;
  for (const batch of group) {
    const child = batch.getChild(name);
    if (!child || child.type.typeId !== first.type.typeId) return undefined;
    for (const d of child.data) {
      if (!plainNumeric(d.type) || numberArrayFor(type, d.type, 0) === undefined) return undefined;
      const values = d.values as Float64Array | Float32Array | Int32Array;
      numbers.set(values.subarray(d.offset, d.offset + d.length), at);
      if (d.nullCount > 0) {
        if (!valid) valid = new Uint8Array(rows).fill(1, 0, at);
        const bitmap = d.nullBitmap!;
        for (let r = 0; r < d.length; r++) {
          const bit = d.offset + r;
          valid[at + r] = (bitmap[bit >> 3]! >> (bit & 7)) & 1;
        }
      } else valid?.fill(1, at, at + d.length);
      at += d.length;
    }
  }
  return valid ? { numbers, valid } : { numbers };
}

/** A NumberColumn's values as a list, null where a row is null. */
function numbersAsList(column: NumberColumn): unknown[] {
  const { numbers, valid } = column;
  const out = new Array<unknown>(numbers.length);
  for (let r = 0; r < numbers.length; r++) out[r] = valid && valid[r] === 0 ? null : numbers[r];
  return out;
}

/** Arrow data of rows [from, from + length) of a NumberColumn: its numbers as they are, a bitmap built. */
function numberData(type: DataType, column: NumberColumn, from: number, length: number) {
  const numbers = column.numbers.subarray(from, from + length);
  const { valid } = column;
  if (!valid) return makeData({ type, length, nullCount: 0, data: numbers } as never);
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  for (let r = 0; r < length; r++) {
    if (valid[from + r] === 0) nullCount++;
    else bitmap[r >> 3]! |= 1 << (r & 7);
  }
  return makeData({ type, length, nullCount, data: numbers, nullBitmap: bitmap } as never);
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
    // Row-form transforms read number columns unboxed; column-form ones get lists.
    const numberCache = new Map<string, NumberColumn | null>();
    const numbersOf = (name: string, type: ValueType): NumberColumn | undefined => {
      let column = numberCache.get(name);
      if (column === undefined) {
        column = readNumbers(group, name, type, rows) ?? null;
        numberCache.set(name, column);
      }
      return column ?? undefined;
    };
    const requestedList = new Map<string, unknown[]>();
    const requestedOf = (
      f: OnDemandPlan['requestFields'][number],
      row: boolean,
    ): unknown[] | NumberColumn => {
      const numbers = row ? numbersOf(f.name, f.type) : undefined;
      if (numbers) return numbers;
      let list = requestedList.get(f.name);
      if (!list) {
        list = valuesOf(f.name, f.type).map((v, r) =>
          isPresented(f.type, v)
            ? v
            : presentValue(f.type, normalizeValue(f.type, v, `request field ${f.name}, row ${firstRow + r}`)),
        );
        requestedList.set(f.name, list);
      }
      return list;
    };
    // Every request field is checked, whether or not a transform reads it.
    for (const f of plan.requestFields)
      if (!plan.steps.some((s) => s.view.mode === 'row') || !numbersOf(f.name, f.type)) requestedOf(f, false);
    const computed = new Map<string, { type: ValueType; values: unknown[] | NumberColumn }>();
    plan.steps.forEach((step, s) => {
      const row = step.view.mode === 'row';
      const inputs: Record<string, unknown[] | NumberColumn> = {};
      for (const f of plan.requestFields) inputs[f.name] = requestedOf(f, row);
      for (const input of step.inputs) {
        const own = computed.get(input.column);
        if (own) {
          const { type, values } = own;
          if (isNumberColumn(values)) inputs[input.name] = row ? values : numbersAsList(values);
          else inputs[input.name] = values.map((v) => presentValue(type, v));
        } else {
          const ref = `${input.column.slice(0, input.column.indexOf('__'))}:${input.name}`;
          const type = plan.storedTypes.get(ref)!;
          inputs[input.name] =
            (row ? numbersOf(input.column, type) : undefined) ?? valuesOf(input.column, type);
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
        numberOutputs: true,
      });
      step.view.features.forEach((f, o) => {
        computed.set(fullName(step.view.name, f.name), { type: f.type, values: out[o]! });
      });
    });
    const built = plan.outputs.map((o) => {
      const own = computed.get(o.column);
      if (!own) return undefined;
      return isNumberColumn(own.values) ? own.values : arrowValues(own.type, own.values);
    });
    let offset = 0;
    for (const batch of group) {
      const n = batch.numRows;
      const data = [
        ...entityFields.map((f) => batch.getChild(f.name)!.data[0]!),
        ...plan.outputs.map((o, i) => {
          const values = built[i];
          if (!values) return batch.getChild(o.column)!.data[0]!;
          if (isNumberColumn(values)) return numberData(outputFields[i]!.type, values, offset, n);
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
