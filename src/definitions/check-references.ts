import { aggregationFeatureSpecs } from './aggregation/aggregation-view.ts';
import type { DefinitionProblem } from './definition-problem.ts';
import type { Entity } from './entity.ts';
import type { FeatureService } from './feature-service.ts';
import type { FeatureViewDefinition } from './feature-view.ts';
import type { LocatedObject } from './load-definitions.ts';
import { checkOnDemandViews } from './on-demand/check-on-demand-views.ts';
import {
  type DefinedObjects,
  emptyDefinitions,
  OBJECT_KIND_NAMES,
  OBJECT_KINDS,
} from './repo-definitions.ts';
import type { Source } from './source.ts';
import { featureNamesOf } from './view-kinds.ts';

/** Column names of the offline store's layout that no join key or feature may take. */
export const RESERVED_COLUMNS = ['event_timestamp', 'created_timestamp'] as const;

/**
 * Checks what a single object's schema cannot: unique names, references between objects, and
 * column names that would collide in a view. Returns the definitions sorted by name.
 */
export function checkReferences(objects: readonly LocatedObject[]): {
  definitions: DefinedObjects;
  problems: DefinitionProblem[];
} {
  const problems: DefinitionProblem[] = [];
  const byKind = new Map<string, Map<string, LocatedObject>>();
  for (const kind of OBJECT_KINDS) byKind.set(kind, new Map());

  for (const obj of objects) {
    const names = byKind.get(obj.kind)!;
    const existing = names.get(obj.value.name);
    if (existing) {
      problems.push({
        file: obj.file,
        object: `${OBJECT_KIND_NAMES[obj.kind]} ${obj.value.name}`,
        field: 'name',
        message: `duplicate name: ${OBJECT_KIND_NAMES[obj.kind]} ${obj.value.name} is also defined in ${existing.file}`,
      });
    } else names.set(obj.value.name, obj);
  }
  // Objects that failed their schema only reserve their names; their own fields are not trusted.
  const invalidNames = new Set(objects.filter((o) => !o.valid).map((o) => `${o.kind}:${o.value.name}`));
  for (const [kind, names] of byKind) {
    for (const name of [...names.keys()]) if (invalidNames.has(`${kind}:${name}`)) names.delete(name);
  }
  const exists = (kind: string, name: string) => invalidNames.has(`${kind}:${name}`);
  const entities = byKind.get('entities')! as Map<string, LocatedObject & { value: Entity }>;
  const sources = byKind.get('sources')! as Map<string, LocatedObject & { value: Source }>;
  const views = byKind.get('featureViews')! as Map<string, LocatedObject & { value: FeatureViewDefinition }>;
  const services = byKind.get('featureServices')! as Map<string, LocatedObject & { value: FeatureService }>;

  for (const { file, value: e } of entities.values()) {
    const seen = new Set<string>();
    e.joinKeys.forEach((k, i) => {
      if (seen.has(k.name)) {
        problems.push({
          file,
          object: `entity ${e.name}`,
          field: `joinKeys[${i}].name`,
          message: `join key ${k.name} is listed twice`,
        });
      }
      seen.add(k.name);
    });
  }

  for (const { file, value: s } of sources.values()) {
    const object = `source ${s.name}`;
    if (s.createdTimestampField && s.createdTimestampField === s.timestampField) {
      problems.push({
        file,
        object,
        field: 'createdTimestampField',
        message: 'must differ from timestampField',
      });
    }
    if (s.kind === 'push' && s.batchSource !== undefined) {
      const batch = sources.get(s.batchSource);
      if (!batch && exists('sources', s.batchSource)) continue;
      if (!batch) {
        problems.push({ file, object, field: 'batchSource', message: `unknown source ${s.batchSource}` });
      } else if (batch.value.kind === 'push') {
        problems.push({
          file,
          object,
          field: 'batchSource',
          message: 'a batch source cannot be a push source',
        });
      }
    }
  }

  for (const { file, value: v } of views.values()) {
    // On-demand views read other views, not a source: checkOnDemandViews below.
    if (v.kind === 'onDemand') continue;
    const object = `featureView ${v.name}`;
    // The offline store's canonical timestamp columns are reserved in every view.
    const columns = new Map<string, string>(RESERVED_COLUMNS.map((c) => [c, 'a column Trove reserves']));
    const claim = (name: string, what: string, field: string) => {
      const other = columns.get(name);
      if (other) {
        problems.push({
          file,
          object,
          field,
          message: `${what} ${name} collides with ${other} of the same name`,
        });
      } else columns.set(name, what);
    };
    v.entities.forEach((name, i) => {
      const e = entities.get(name);
      if (!e) {
        if (exists('entities', name)) return;
        problems.push({ file, object, field: `entities[${i}]`, message: `unknown entity ${name}` });
        return;
      }
      for (const k of e.value.joinKeys) claim(k.name, `join key of entity ${name}`, `entities[${i}]`);
    });
    if (new Set(v.entities).size !== v.entities.length) {
      problems.push({ file, object, field: 'entities', message: 'an entity is listed twice' });
    }
    const source = sources.get(v.source);
    if (!source) {
      if (!exists('sources', v.source)) {
        problems.push({ file, object, field: 'source', message: `unknown source ${v.source}` });
      }
    } else if (v.kind === 'batch') {
      const timestampFields = [source.value.timestampField, source.value.createdTimestampField];
      v.features.forEach((f, i) => {
        if (timestampFields.includes(f.name)) {
          problems.push({
            file,
            object,
            field: `features[${i}].name`,
            message: `feature ${f.name} is a timestamp field of source ${source.value.name}`,
          });
        }
      });
    }
    if (v.kind === 'batch') {
      v.features.forEach((f, i) => {
        claim(f.name, 'feature', `features[${i}].name`);
      });
      continue;
    }
    // The aggregated columns are stored beside the join keys and the offline store's timestamps.
    v.aggregations.forEach((a, i) => {
      if (a.column === undefined) return;
      const other = columns.get(a.column);
      if (other !== undefined)
        problems.push({
          file,
          object,
          field: `aggregations[${i}].column`,
          message: other.startsWith('join key')
            ? `column ${a.column} is the ${other}; aggregate another column`
            : `column ${a.column} is reserved by the offline store's layout; map it to another name with the source's fieldMapping`,
        });
    });
    for (const spec of aggregationFeatureSpecs(v)) {
      const a = v.aggregations[spec.aggregation]!;
      const named = a.name !== undefined && a.windows.length === 1;
      claim(
        spec.name,
        'feature',
        `aggregations[${spec.aggregation}].${named ? 'name' : `windows[${spec.windowIndex}]`}`,
      );
    }
  }

  problems.push(
    ...checkOnDemandViews({
      views,
      entities,
      invalid: (kind, name) => exists(kind, name),
    }),
  );

  // An invalid view's references are still checked where they are well formed, so one run reports
  // both its schema problems and its unknown entities or source.
  for (const o of objects) {
    if (o.valid || o.kind !== 'featureViews') continue;
    const raw = o.value as { name: string; entities?: unknown; source?: unknown };
    const object = `featureView ${raw.name}`;
    if (Array.isArray(raw.entities)) {
      raw.entities.forEach((name: unknown, i) => {
        if (typeof name === 'string' && !entities.has(name) && !exists('entities', name)) {
          problems.push({ file: o.file, object, field: `entities[${i}]`, message: `unknown entity ${name}` });
        }
      });
    }
    if (typeof raw.source === 'string' && !sources.has(raw.source) && !exists('sources', raw.source)) {
      problems.push({ file: o.file, object, field: 'source', message: `unknown source ${raw.source}` });
    }
  }

  for (const { file, value: svc } of services.values()) {
    const object = `featureService ${svc.name}`;
    svc.features.forEach((ref, i) => {
      const [viewName, featureName] = ref.split(':') as [string, string | undefined];
      const view = views.get(viewName);
      if (!view) {
        if (exists('featureViews', viewName)) return;
        problems.push({ file, object, field: `features[${i}]`, message: `unknown feature view ${viewName}` });
      } else if (featureName && featureName !== '*' && !featureNamesOf(view.value).includes(featureName)) {
        problems.push({
          file,
          object,
          field: `features[${i}]`,
          message: `feature view ${viewName} has no feature ${featureName}`,
        });
      }
    });
  }

  const definitions = emptyDefinitions<FeatureViewDefinition>();
  const sorted = <T extends { name: string }>(m: Map<string, LocatedObject>): T[] =>
    [...m.values()].map((o) => o.value as T).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  definitions.entities = sorted(entities);
  definitions.sources = sorted(sources);
  definitions.featureViews = sorted(views);
  definitions.featureServices = sorted(services);
  return { definitions, problems };
}
