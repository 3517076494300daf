/**
 * Names of everything Trove keeps in Redis for a project, all under `<keyPrefix>:<project>:`.
 *
 * - `…:o1:{<entity>}`: a hash per entity (format version 1), one field per feature view keyed on
 *   that entity. The entity text is the hash tag, so all of an entity's values share a slot.
 * - `…:a1:{<entity>}:<view>:<fingerprint>`: a hash per (entity, aggregation view) holding the
 *   view's tiles for that entity (docs/aggregations.md); in the entity's slot.
 * - `…:pushkey:<key>`: the rows an online-only push's idempotency key named.
 * - `…:wm:{<view>}`: a view's materialization watermarks, one field per schema fingerprint.
 * - `…:lock:{<view>}`: the lock of a view's materialization, in the same slot as its watermarks
 *   so one script can check the lock and move the watermark.
 */
import { projectKeyBase } from '../queue/project-key-base.ts';

export const ONLINE_KEY_FORMAT = 'o1';

export class OnlineKeys {
  /** `<keyPrefix>:<project>`, the root of every key of the project. */
  readonly base: string;
  /** What every entity hash's name starts with; `}` ends it after the entity text. */
  readonly entityPrefix: string;

  constructor(keyPrefix: string, project: string) {
    this.base = projectKeyBase(keyPrefix, project);
    this.entityPrefix = `${this.base}:${ONLINE_KEY_FORMAT}:{`;
  }

  entity(entityText: string): string {
    return `${this.entityPrefix}${entityText}}`;
  }

  /** Glob matching every entity hash of the project. */
  get entityPattern(): string {
    return `${this.base}:${ONLINE_KEY_FORMAT}:*`;
  }

  /** Glob matching every key of the project. */
  get projectPattern(): string {
    return `${this.base}:*`;
  }

  /** The tile state of an aggregation view for one entity. */
  aggregation(entityText: string, viewName: string, fingerprint: string): string {
    return `${this.base}:a1:{${entityText}}:${viewName}:${fingerprint}`;
  }

  /** The rows hash an online-only push's idempotency key named (push/aggregation/claim-push-key.ts). */
  pushKey(idempotencyKey: string): string {
    return `${this.base}:pushkey:${idempotencyKey}`;
  }

  watermarks(viewName: string): string {
    return `${this.base}:wm:{${viewName}}`;
  }

  lock(viewName: string): string {
    return `${this.base}:lock:{${viewName}}`;
  }
}
