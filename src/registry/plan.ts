import { describeChecks } from '../definitions/checks/describe-checks.ts';
import type { FeatureViewDefinition } from '../definitions/feature-view.ts';
import {
  OBJECT_KIND_NAMES,
  OBJECT_KINDS,
  type ObjectKind,
  type RepoDefinitions,
} from '../definitions/repo-definitions.ts';
import { canonicalJson } from './canonical-json.ts';

/** One field of an object that an apply would change. */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** What an apply would do to one object. */
export type PlannedChange =
  | { action: 'create'; kind: ObjectKind; name: string; checks?: string[] }
  | { action: 'delete'; kind: ObjectKind; name: string }
  | { action: 'update'; kind: ObjectKind; name: string; fields: FieldChange[] };

/** The difference between the registered objects and the repo's. */
export interface Plan {
  changes: PlannedChange[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Lists leaf differences between two JSON values as dotted paths. */
function diffValues(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (canonicalJson(before) === canonicalJson(after)) return;
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) diffValues(before[k], after[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((b, i) => {
      diffValues(b, after[i], `${path}[${i}]`, out);
    });
    return;
  }
  out.push({ path, before, after });
}

/** Compares registered objects with the repo's, kind by kind, by name. */
export function planChanges(current: RepoDefinitions, desired: RepoDefinitions): Plan {
  const changes: PlannedChange[] = [];
  for (const kind of OBJECT_KINDS) {
    const before = new Map<string, unknown>(current[kind].map((o) => [o.name, o]));
    const after = new Map<string, unknown>(desired[kind].map((o) => [o.name, o]));
    const names = [...new Set([...before.keys(), ...after.keys()])].sort();
    for (const name of names) {
      const b = before.get(name);
      const a = after.get(name);
      if (b === undefined) changes.push({ action: 'create', kind, name, ...checksOf(kind, a) });
      else if (a === undefined) changes.push({ action: 'delete', kind, name });
      else {
        const fields: FieldChange[] = [];
        diffValues(b, a, '', fields);
        if (fields.length > 0) changes.push({ action: 'update', kind, name, fields });
      }
    }
  }
  return { changes };
}

/** The data-quality checks of a batch view to be created, shown since no field diff lists them. */
function checksOf(kind: ObjectKind, object: unknown): { checks?: string[] } {
  const view = object as FeatureViewDefinition;
  if (kind !== 'featureViews' || view.kind !== 'batch') return {};
  const checks = describeChecks(view);
  return checks.length > 0 ? { checks } : {};
}

const SYMBOL = { create: '+', update: '~', delete: '-' } as const;

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

/** Renders a plan as a readable diff, one object per line and one changed field per indented line. */
export function formatPlan(plan: Plan): string {
  if (plan.changes.length === 0) return 'No changes: the registry matches the repo.';
  const lines: string[] = [];
  for (const change of plan.changes) {
    lines.push(`  ${SYMBOL[change.action]} ${OBJECT_KIND_NAMES[change.kind]} ${change.name}`);
    if (change.action === 'create') for (const c of change.checks ?? []) lines.push(`      check ${c}`);
    if (change.action === 'update') {
      for (const f of change.fields) lines.push(`      ${f.path}: ${show(f.before)} → ${show(f.after)}`);
    }
  }
  const count = (action: PlannedChange['action']) => plan.changes.filter((c) => c.action === action).length;
  lines.push(`${count('create')} to create, ${count('update')} to change, ${count('delete')} to delete.`);
  return lines.join('\n');
}
