/**
 * Every route the API registers, with the scope it declares, taken from the app as `buildServer`
 * builds it (in process, never served): a drill that covers routes from this table cannot miss a
 * route added later. Fastify announces each new instance on the `fastify.initialization`
 * diagnostics channel, which is where an `onRoute` hook is attached before any route exists.
 */
import diagnostics from 'node:diagnostics_channel';
import type { FastifyInstance } from 'fastify';
import { FeatureStore } from '../../src/feature-store.ts';
import { buildServer, serverOptionsFromConfig } from '../../src/server/app.ts';
import type { RouteScope } from '../../src/server/route-scope.ts';

export interface RouteEntry {
  method: string;
  /** The route's path as registered, parameters included (`/feature-views/:name`). */
  url: string;
  /** The scope it declares; undefined when it declares none. */
  scope: RouteScope | undefined;
}

const CHANNEL = 'fastify.initialization';

/** The route table of the API for the repo at `repoDir` (its config read with `env`). */
export async function routeTable(repoDir: string, env: NodeJS.ProcessEnv): Promise<RouteEntry[]> {
  const routes: RouteEntry[] = [];
  const onInstance = (message: unknown): void => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) routes.push({ method, url: route.url, scope: route.config?.scope });
    });
  };
  diagnostics.subscribe(CHANNEL, onInstance);
  const store = await FeatureStore.open(repoDir, { env });
  try {
    const app = await buildServer(store, serverOptionsFromConfig(store.config, { host: '127.0.0.1', env }));
    await app.close();
  } finally {
    diagnostics.unsubscribe(CHANNEL, onInstance);
    await store.close();
  }
  return routes;
}

/** `METHOD url`, the name drills give a route. */
export function routeName(route: Pick<RouteEntry, 'method' | 'url'>): string {
  return `${route.method} ${route.url}`;
}
