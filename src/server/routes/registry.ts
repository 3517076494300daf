/**
 * Read-only registry endpoints: what is registered, as applied last (a new `trove apply` is served
 * without a restart, since the store re-reads a changed registry file). Objects are Trove's
 * definitions as stored; list answers are named after the kind, as in Feast's REST registry. An
 * on-demand view shows where its transform lives (`transform: { module, export, property }`), never
 * its code: the registry holds none.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../errors.ts';
import type { Registry } from '../../registry/registry.ts';
import { showName } from '../../show-value.ts';
import type { RouteOptions } from '../server-context.ts';
import { readRegistry } from '../with-timeout.ts';

const nameParams = z.object({ name: z.string().min(1) });

interface Kind {
  path: string;
  listKey: string;
  singular: string;
  code: string;
  list: (registry: Registry) => readonly { name: string }[];
  get: (registry: Registry, name: string) => object | undefined;
}

const KINDS: Kind[] = [
  {
    path: '/entities',
    listKey: 'entities',
    singular: 'entity',
    code: 'UNKNOWN_ENTITY',
    list: (r) => r.definitions.entities,
    get: (r, n) => r.entity(n),
  },
  {
    path: '/data-sources',
    listKey: 'dataSources',
    singular: 'data source',
    code: 'UNKNOWN_DATA_SOURCE',
    list: (r) => r.definitions.sources,
    get: (r, n) => r.source(n),
  },
  {
    path: '/feature-views',
    listKey: 'featureViews',
    singular: 'feature view',
    code: 'UNKNOWN_FEATURE_VIEW',
    list: (r) => r.definitions.featureViews,
    get: (r, n) => r.featureView(n),
  },
  {
    path: '/feature-services',
    listKey: 'featureServices',
    singular: 'feature service',
    code: 'UNKNOWN_FEATURE_SERVICE',
    list: (r) => r.definitions.featureServices,
    get: (r, n) => r.featureService(n),
  },
];

export const registryRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { context }) => {
  const registry = () => readRegistry(() => context.store.registry(), context.registryTimeoutMs);

  app.get('/registry', { config: { scope: 'read' } }, async () => {
    const { snapshot } = await registry();
    return {
      project: snapshot.project,
      version: snapshot.version,
      hash: snapshot.hash,
      appliedAt: snapshot.appliedAt,
      objects: snapshot.objects,
    };
  });

  for (const kind of KINDS) {
    app.get(kind.path, { config: { scope: 'read' } }, async () => {
      const r = await registry();
      return { project: r.project, registryVersion: r.version, [kind.listKey]: kind.list(r) };
    });
    app.get(
      `${kind.path}/:name`,
      { schema: { params: nameParams }, config: { scope: 'read' } },
      async (request) => {
        const found = kind.get(await registry(), request.params.name);
        if (!found)
          throw new NotFoundError(kind.code, `unknown ${kind.singular} ${showName(request.params.name)}`);
        return found;
      },
    );
  }
};
