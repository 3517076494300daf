/**
 * What the HTTP server needs of a feature store. FeatureStore satisfies it structurally; the server
 * depends on this narrow shape so it can be tested and built without the rest of the store.
 */
import type { OnlineFeaturesRequest, OnlineFeaturesResponse } from '../online/online-response.ts';
import type { Registry } from '../registry/registry.ts';

/** Where pushed rows go (Feast's `to`). */
export type PushTarget = 'online' | 'offline' | 'online_and_offline';

export interface ServingStore {
  /** The registry as last applied; re-read when its file changes. */
  registry(): Promise<Registry>;
  getOnlineFeatures?(request: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse>;
  materialize?(options: { start: Date; end: Date; views?: string[] }): Promise<unknown>;
  materializeIncremental?(options: { end: Date; views?: string[] }): Promise<unknown>;
  push?(options: { pushSourceName: string; df: Record<string, unknown[]>; to: PushTarget }): Promise<unknown>;
  /** Resolves when the online store answers; rejects otherwise. */
  ping?(): Promise<unknown>;
  close(): Promise<void>;
}
