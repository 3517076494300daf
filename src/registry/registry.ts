import type { Entity } from '../definitions/entity.ts';
import type { FeatureService } from '../definitions/feature-service.ts';
import type { FeatureView, StoredFeatureView } from '../definitions/feature-view.ts';
import { inputViewName } from '../definitions/on-demand/feature-reference.ts';
import { emptyDefinitions, type RepoDefinitions } from '../definitions/repo-definitions.ts';
import type { Source } from '../definitions/source.ts';
import { canonicalJson, sha256 } from './canonical-json.ts';

export const REGISTRY_FORMAT_VERSION = 1;

/** The registered state of a project: what `apply` committed last. */
export interface RegistrySnapshot {
  formatVersion: number;
  project: string;
  /** Starts at 0 (nothing applied) and grows by one with every apply that changes something. */
  version: number;
  /** sha256 of the canonical JSON of the objects. */
  hash: string;
  appliedAt: string | null;
  objects: RepoDefinitions;
}

export function hashDefinitions(objects: RepoDefinitions): string {
  return sha256(canonicalJson(objects));
}

export function emptySnapshot(project: string): RegistrySnapshot {
  const objects = emptyDefinitions();
  return {
    formatVersion: REGISTRY_FORMAT_VERSION,
    project,
    version: 0,
    hash: hashDefinitions(objects),
    appliedAt: null,
    objects,
  };
}

/** Read-side lookups over one snapshot; built once per registry version. */
export class Registry {
  readonly snapshot: RegistrySnapshot;
  private readonly entities: Map<string, Entity>;
  private readonly sources: Map<string, Source>;
  private readonly views: Map<string, FeatureView>;
  private readonly services: Map<string, FeatureService>;

  /** A registry built in code (benchmarks, tests) rather than read from an applied file. */
  static of(project: string, objects: RepoDefinitions): Registry {
    return new Registry({
      formatVersion: REGISTRY_FORMAT_VERSION,
      project,
      version: 1,
      hash: hashDefinitions(objects),
      appliedAt: null,
      objects,
    });
  }

  constructor(snapshot: RegistrySnapshot) {
    this.snapshot = snapshot;
    const index = <T extends { name: string }>(list: T[]) => new Map(list.map((o) => [o.name, o]));
    this.entities = index(snapshot.objects.entities);
    this.sources = index(snapshot.objects.sources);
    this.views = index(snapshot.objects.featureViews);
    this.services = index(snapshot.objects.featureServices);
  }

  get version(): number {
    return this.snapshot.version;
  }
  get project(): string {
    return this.snapshot.project;
  }
  get definitions(): RepoDefinitions {
    return this.snapshot.objects;
  }

  entity(name: string): Entity | undefined {
    return this.entities.get(name);
  }
  source(name: string): Source | undefined {
    return this.sources.get(name);
  }
  featureView(name: string): FeatureView | undefined {
    return this.views.get(name);
  }
  featureService(name: string): FeatureService | undefined {
    return this.services.get(name);
  }
  featureViews(): FeatureView[] {
    return this.snapshot.objects.featureViews;
  }
  /** The views that read a source and store what they compute (all but on-demand views). */
  storedViews(): StoredFeatureView[] {
    return this.snapshot.objects.featureViews.filter((v): v is StoredFeatureView => v.kind !== 'onDemand');
  }

  /**
   * The join keys of a view, in the order of its entities; for an on-demand view, those of the
   * views it reads, in order of first appearance (none when it reads request values only).
   */
  joinKeysOf(view: FeatureView): Entity['joinKeys'] {
    if (view.kind !== 'onDemand') return view.entities.flatMap((e) => this.entities.get(e)?.joinKeys ?? []);
    const keys = new Map<string, Entity['joinKeys'][number]>();
    const visiting = new Set<string>();
    const visit = (v: FeatureView) => {
      if (v.kind !== 'onDemand') {
        for (const k of this.joinKeysOf(v)) if (!keys.has(k.name)) keys.set(k.name, k);
        return;
      }
      // apply refuses cycles; a hand-edited registry must still not recurse forever.
      if (visiting.has(v.name)) return;
      visiting.add(v.name);
      for (const ref of v.inputs) {
        const input = this.views.get(inputViewName(ref));
        if (input) visit(input);
      }
    };
    visit(view);
    return [...keys.values()];
  }
}
