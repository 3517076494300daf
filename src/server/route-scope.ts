/**
 * Every route declares in its `config` which API-key scope it needs; `public` routes (health) need
 * none. The auth hook reads it, so a route cannot be added without deciding who may call it.
 */
import type { Scope } from './api-keys.ts';

export type RouteScope = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
}
