/**
 * Checks API keys before anything else runs for a request (body parsing included, so an
 * unauthenticated caller cannot make the server parse a large body). Keys come in
 * `Authorization: Bearer <key>` or `X-API-Key: <key>`; query strings are not accepted because they
 * end up in access logs.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TroveError } from '../errors.ts';
import { type ApiKeySet, allows } from './api-keys.ts';
import type { RouteScope } from './route-scope.ts';

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m) return m[1];
  }
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey;
  return undefined;
}

/**
 * With no keys configured every route is open (the server only starts that way on loopback, see
 * app.ts). With keys, every route but the public ones needs a key holding the route's scope.
 */
export function registerAuthHook(app: FastifyInstance, keys: ApiKeySet): void {
  if (keys.size === 0) return;
  app.addHook('onRequest', async (request) => {
    // Unknown routes have no config; they need a key too, so probing for routes tells nothing.
    const scope: RouteScope = request.routeOptions.config?.scope ?? 'read';
    if (scope === 'public') return;
    const key = presentedKey(request);
    if (key === undefined) {
      throw new TroveError(
        'UNAUTHENTICATED',
        'this endpoint needs an API key (Authorization: Bearer <key>)',
        401,
      );
    }
    const principal = keys.authenticate(key);
    if (principal === undefined) throw new TroveError('UNAUTHENTICATED', 'unknown API key', 401);
    if (!allows(principal, scope)) {
      throw new TroveError('FORBIDDEN', `API key ${principal.name} lacks the ${scope} scope`, 403);
    }
  });
}
