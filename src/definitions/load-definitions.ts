import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { checkReferences } from './check-references.ts';
import { definitionKindOf } from './definition-helpers.ts';
import { DefinitionError, type DefinitionProblem } from './definition-problem.ts';
import { entitySchema } from './entity.ts';
import { featureServiceSchema } from './feature-service.ts';
import { featureViewDefinitionSchema } from './feature-view.ts';
import { checkTransforms } from './on-demand/check-transforms.ts';
import { locateTransform } from './on-demand/locate-transform.ts';
import type { OnDemandViewDefinition } from './on-demand/on-demand-view.ts';
import { type DefinedObjects, OBJECT_KINDS, type ObjectKind } from './repo-definitions.ts';
import { sourceSchema } from './source.ts';
import { importTypeScriptModule } from './typescript-modules.ts';
import { yamlLimitReason } from './yaml-error.ts';
import { objectProblems } from './zod-problems.ts';

const SCHEMAS: Record<ObjectKind, z.ZodType> = {
  entities: entitySchema,
  sources: sourceSchema,
  featureViews: featureViewDefinitionSchema,
  featureServices: featureServiceSchema,
};

/**
 * An object and the file it was defined in. Objects that failed their schema are kept (when they
 * have a name) with `valid: false`, so references to them are not also reported as unknown.
 */
export interface LocatedObject {
  kind: ObjectKind;
  file: string;
  value: { name: string };
  valid: boolean;
}

const CONFIG_FILE = 'trove.yaml';
/** YAML files larger than this are refused before parsing: definitions are small. */
const MAX_YAML_BYTES = 4 * 1024 * 1024;

/** The definition files of a repo: `*.yaml`/`*.yml` beside trove.yaml and `*.ts` modules, top level. */
export async function listDefinitionFiles(repoDir: string): Promise<string[]> {
  const entries = await readdir(repoDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .filter(
      (name) =>
        (/\.ya?ml$/.test(name) && name !== CONFIG_FILE) ||
        (/\.(m?ts)$/.test(name) && !/\.d\.m?ts$/.test(name) && !/\.test\.ts$/.test(name)),
    )
    .sort();
}

function validateObject(
  file: string,
  kind: ObjectKind,
  raw: unknown,
  index: number | undefined,
  out: LocatedObject[],
  problems: DefinitionProblem[],
  exportName?: string,
): void {
  const result = SCHEMAS[kind].safeParse(raw);
  if (result.success) {
    const value = result.data as { name: string; kind?: string };
    if (kind !== 'featureViews' || value.kind !== 'onDemand') {
      out.push({ kind, file, value, valid: true });
      return;
    }
    // The registry keeps where an on-demand view's transform lives, never the function.
    const located = locateTransform(value as OnDemandViewDefinition, { file, exportName });
    if ('view' in located) {
      out.push({ kind, file, value: located.view, valid: true });
      return;
    }
    problems.push({
      file,
      object: `featureView ${value.name}`,
      field: 'transform',
      message: located.problem,
    });
    out.push({ kind, file, value, valid: false });
    return;
  }
  problems.push(...objectProblems(file, kind, raw, result.error, index));
  const name = typeof raw === 'object' && raw !== null ? (raw as { name?: unknown }).name : undefined;
  if (typeof name === 'string') out.push({ kind, file, value: raw as { name: string }, valid: false });
}

async function loadYamlFile(
  repoDir: string,
  file: string,
  out: LocatedObject[],
  problems: DefinitionProblem[],
) {
  const text = await readFile(path.join(repoDir, file), 'utf8');
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) {
    problems.push({ file, object: '', field: '', message: `file is larger than ${MAX_YAML_BYTES} bytes` });
    return;
  }
  const doc = YAML.parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
      problems.push({
        file,
        object: '',
        field: '',
        message: yamlLimitReason(err.message) ?? `YAML syntax error${at}: ${err.message.split('\n')[0]}`,
      });
    }
    return;
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    problems.push({
      file,
      object: '',
      field: '',
      message: yamlLimitReason((err as Error).message) ?? `YAML could not be read: ${(err as Error).message}`,
    });
    return;
  }
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push({
      file,
      object: '',
      field: '',
      message: `expected a mapping with keys ${OBJECT_KINDS.join(', ')}`,
    });
    return;
  }
  for (const key of Object.keys(data)) {
    if (!(OBJECT_KINDS as readonly string[]).includes(key)) {
      problems.push({
        file,
        object: '',
        field: key,
        message: `unknown key; expected one of ${OBJECT_KINDS.join(', ')}`,
      });
    }
  }
  for (const kind of OBJECT_KINDS) {
    const list = (data as Record<string, unknown>)[kind];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      problems.push({ file, object: '', field: kind, message: 'expected a list' });
      continue;
    }
    list.forEach((raw, i) => {
      validateObject(file, kind, raw, i, out, problems);
    });
  }
}

async function loadTypeScriptModule(
  repoDir: string,
  file: string,
  out: LocatedObject[],
  problems: DefinitionProblem[],
) {
  let mod: Record<string, unknown>;
  try {
    mod = await importTypeScriptModule(path.join(repoDir, file));
  } catch (err) {
    problems.push({
      file,
      object: '',
      field: '',
      message: `module failed to load: ${(err as Error).message}`,
    });
    return;
  }
  const seen = new Set<unknown>();
  // `exportName` is the export holding the object itself; objects inside exported lists have none.
  const visit = (value: unknown, exportName: string | undefined) => {
    if (seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const v of value) visit(v, undefined);
      return;
    }
    const kind = definitionKindOf(value);
    if (kind) validateObject(file, kind, value, undefined, out, problems, exportName);
  };
  // Named exports first, so an object also listed in an exported array is found by its name.
  const entries = Object.entries(mod);
  for (const [name, value] of entries) if (!Array.isArray(value)) visit(value, name);
  for (const [, value] of entries) visit(value, undefined);
}

/** Everything read from a repo's definition files, valid or not. */
export interface LoadedDefinitions {
  /** As written: aggregation views get their feature types at apply, from their sources. */
  definitions: DefinedObjects;
  /** Each valid object with the file it came from. */
  objects: LocatedObject[];
  problems: DefinitionProblem[];
}

/** Loads every definition of a repo and collects every problem (syntax, schema, references). */
export async function readDefinitions(repoDir: string): Promise<LoadedDefinitions> {
  const objects: LocatedObject[] = [];
  const problems: DefinitionProblem[] = [];
  for (const file of await listDefinitionFiles(repoDir)) {
    if (file.endsWith('ts')) await loadTypeScriptModule(repoDir, file, objects, problems);
    else await loadYamlFile(repoDir, file, objects, problems);
  }
  const { definitions, problems: referenceProblems } = checkReferences(objects);
  problems.push(...referenceProblems);
  problems.push(...(await checkTransforms(repoDir, objects)));
  return { definitions, objects: objects.filter((o) => o.valid), problems };
}

/** Like `readDefinitions`, but throws a DefinitionError listing every problem when any is found. */
export async function loadDefinitions(repoDir: string): Promise<DefinedObjects> {
  const { definitions, problems } = await readDefinitions(repoDir);
  if (problems.length > 0) throw new DefinitionError(problems);
  return definitions;
}
