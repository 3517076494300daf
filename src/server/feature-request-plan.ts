/**
 * What a request for features (online or historical) resolves to: output features and required
 * join keys, cached per registry version so the hot path does not resolve references on every
 * request; and the checks of entity columns against it, so a bad request is a 400 naming the column
 * and row before the store is asked anything.
 */
import type { JoinKey } from '../definitions/entity.ts';
import type { ValueType } from '../definitions/value-type.ts';
import { TroveError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { type OutputFeature, outputFeatures, resolveFeatures } from '../registry/resolve-features.ts';
import { showName, showNames, showValue } from '../show-value.ts';

export interface FeatureRequestPlan {
  outputs: OutputFeature[];
  /** Join keys of every requested view, each once. */
  joinKeys: JoinKey[];
}

/** Plans kept per registry version; bounded so random valid combinations cannot grow memory. */
const MAX_PLANS_PER_REGISTRY = 1024;
const plansByRegistry = new WeakMap<Registry, Map<string, FeatureRequestPlan>>();

export function planFeatureRequest(
  registry: Registry,
  features: readonly string[] | undefined,
  service: string | undefined,
  fullFeatureNames: boolean,
): FeatureRequestPlan {
  let plans = plansByRegistry.get(registry);
  if (!plans) {
    plans = new Map();
    plansByRegistry.set(registry, plans);
  }
  const cacheKey = `${service ?? ''}\u0000${fullFeatureNames ? 1 : 0}\u0000${features?.join('\u0001') ?? ''}`;
  const cached = plans.get(cacheKey);
  if (cached) return cached;

  const selections = resolveFeatures(registry, { features, service });
  const outputs = outputFeatures(selections, fullFeatureNames);
  const joinKeys: JoinKey[] = [];
  for (const { view } of selections) {
    for (const key of registry.joinKeysOf(view)) {
      if (!joinKeys.some((k) => k.name === key.name)) joinKeys.push(key);
    }
  }
  const plan = { outputs, joinKeys };
  if (plans.size >= MAX_PLANS_PER_REGISTRY) plans.clear();
  plans.set(cacheKey, plan);
  return plan;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DIGITS = /^-?\d{1,19}$/;

function invalid(column: string, row: number, expected: string, value: unknown): TroveError {
  return new TroveError(
    'INVALID_ENTITY_VALUE',
    `entities.${showName(column)}[${row}]: expected ${expected}, got ${showValue(value)}`,
  );
}

/**
 * Checks that every entity value is a scalar (a string, number, boolean or null), before anything
 * else about the request: an object or list in an entity column is wrong under any registry, and
 * the answer names its column and row whatever else the request lacks.
 */
export function checkEntityScalars(entities: Record<string, readonly unknown[]>): void {
  for (const name of Object.keys(entities)) {
    const values = entities[name]!;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== null && (typeof v === 'object' || typeof v === 'function' || typeof v === 'symbol'))
        throw invalid(name, i, 'a scalar value', v);
    }
  }
}

/**
 * Checks one join key column and returns it in the form the store takes: int64 as bigint (a JSON
 * number or, as proto3 JSON writes int64, a string of digits), int32 as number.
 */
export function normalizeJoinKeyColumn(key: JoinKey, values: readonly unknown[]): unknown[] {
  const out = new Array<unknown>(values.length);
  const type: ValueType = key.type;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    switch (type) {
      case 'int64': {
        let big: bigint | undefined;
        if (typeof v === 'bigint') big = v;
        else if (typeof v === 'number' && Number.isSafeInteger(v)) big = BigInt(v);
        else if (typeof v === 'string' && DIGITS.test(v)) big = BigInt(v);
        if (big === undefined || big < INT64_MIN || big > INT64_MAX)
          throw invalid(key.name, i, 'an int64', v);
        out[i] = big;
        break;
      }
      case 'int32': {
        const n = typeof v === 'bigint' ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX)
          throw invalid(key.name, i, 'an int32', v);
        out[i] = n;
        break;
      }
      case 'string':
        if (typeof v !== 'string') throw invalid(key.name, i, 'a string', v);
        out[i] = v;
        break;
      case 'bool':
        if (typeof v !== 'boolean') throw invalid(key.name, i, 'a boolean', v);
        out[i] = v;
        break;
      case 'float32':
      case 'float64':
        if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(key.name, i, 'a finite number', v);
        out[i] = v;
        break;
      default:
        // Bytes, timestamps and lists are unusual as keys; the store checks them.
        if (v === null || typeof v === 'object') throw invalid(key.name, i, `a ${type} value`, v);
        out[i] = v;
    }
  }
  return out;
}

/**
 * Checks the entity columns of a request against a plan: every required join key present, all
 * columns the same length, at least one and at most `maxEntities` rows, values of the key's type.
 * Columns that are not join keys of the request are passed on unchanged.
 */
export function checkEntities(
  plan: FeatureRequestPlan,
  entities: Record<string, unknown[]>,
  maxEntities: number,
): Record<string, unknown[]> {
  const names = Object.keys(entities);
  if (names.length === 0)
    throw new TroveError('INVALID_REQUEST', 'entities: give at least one join key column');
  const rows = entities[names[0]!]!.length;
  for (const name of names) {
    const length = entities[name]!.length;
    if (length !== rows) {
      throw new TroveError(
        'INVALID_REQUEST',
        `entities: columns differ in length (${showName(names[0]!)} has ${rows} values, ${showName(name)} has ${length})`,
      );
    }
  }
  if (rows === 0) throw new TroveError('INVALID_REQUEST', 'entities: give at least one entity row');
  if (rows > maxEntities) {
    throw new TroveError(
      'TOO_MANY_ENTITIES',
      `entities: ${rows} rows asked for; this server answers at most ${maxEntities} per request`,
      413,
    );
  }
  const out: Record<string, unknown[]> = { ...entities };
  for (const key of plan.joinKeys) {
    const values = entities[key.name];
    if (values === undefined) {
      throw new TroveError(
        'MISSING_JOIN_KEY',
        `entities: the requested features need join key ${key.name}; got ${showNames(names)}`,
      );
    }
    out[key.name] = normalizeJoinKeyColumn(key, values);
  }
  return out;
}
