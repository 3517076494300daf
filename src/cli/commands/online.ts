import type { Command } from 'commander';
import type { ValueType } from '../../definitions/value-type.ts';
import { TroveError } from '../../errors.ts';
import type { Registry } from '../../registry/registry.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

interface OnlineOptions extends RepoOptions {
  entity: string[];
  features?: string;
  service?: string;
  fullFeatureNames?: boolean;
}

/** The type of an `--entity` name: a join key's, or an on-demand view's request field's. */
function entityFieldType(registry: Registry, name: string): ValueType | undefined {
  const { entities, featureViews } = registry.definitions;
  for (const e of entities) {
    const k = e.joinKeys.find((j) => j.name === name);
    if (k) return k.type;
  }
  for (const v of featureViews) {
    const r = v.kind === 'onDemand' ? v.request.find((f) => f.name === name) : undefined;
    if (r) return r.type;
  }
  return undefined;
}

/** A command-line value as the read expects it for the field's type. */
function entityValue(type: ValueType | undefined, text: string): unknown {
  switch (type) {
    case 'bool':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'float32':
    case 'float64': {
      // Text that is no number stays text, so the read refuses it instead of taking NaN.
      const n = Number(text);
      return text.trim() === '' || (Number.isNaN(n) && text !== 'NaN') ? text : n;
    }
    default:
      return text;
  }
}

/**
 * `trove online --entity key=value ... --features v:f,... | --service NAME`: online features as
 * Feast-shaped JSON. Repeating a key gives several entity rows. On-demand views' request fields are
 * given the same way (`--entity fare=23.5`), as they are columns of `entities` over HTTP.
 */
export function registerOnlineCommand(program: Command): void {
  withRepoOption(
    program
      .command('online')
      .description('read online features as JSON')
      .requiredOption(
        '--entity <key=value>',
        'join key or request field value; repeat for more keys or rows',
        (v: string, acc: string[]) => [...acc, v],
        [] as string[],
      )
      .option('--features <refs>', 'comma-separated view:feature or view:* references')
      .option('--service <name>', 'a feature service')
      .option('--full-feature-names', 'name features view__feature'),
  ).action(async (options: OnlineOptions) => {
    const { FeatureStore } = await import('../../feature-store.ts');
    const store = await FeatureStore.open(options.repo);
    try {
      const registry = await store.registry();
      const entities: Record<string, unknown[]> = {};
      for (const pair of options.entity) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new TroveError('INVALID_ARGUMENT', `--entity expects key=value, got ${pair}`);
        const key = pair.slice(0, eq);
        const column = entities[key] ?? [];
        column.push(entityValue(entityFieldType(registry, key), pair.slice(eq + 1)));
        entities[key] = column;
      }
      const response = await store.getOnlineFeatures({
        entities,
        features: options.features
          ?.split(',')
          .map((f) => f.trim())
          .filter(Boolean),
        service: options.service,
        fullFeatureNames: options.fullFeatureNames ?? false,
      });
      const { onlineJson } = await import('../../online/online-json.ts');
      process.stdout.write(`${onlineJson(response, 2)}\n`);
    } finally {
      await store.close();
    }
  });
}
