/**
 * Builds the HTTP API: a Fastify instance with the lossless JSON parser, one error handler, the
 * auth and metrics hooks, and one plugin per route group. Listening and shutdown belong to the
 * caller (`trove serve`, tests).
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiKeyConfig, ResolvedConfig } from '../config/trove-config.ts';
import { TroveError } from '../errors.ts';
import { ApiKeySet } from './api-keys.ts';
import { registerAuthHook } from './auth-hook.ts';
import { clientErrorHandler } from './client-error-handler.ts';
import { registerConsistencyGauge } from './consistency-metrics.ts';
import { registerErrorHandler, toApiError } from './error-handler.ts';
import { registerJsonBodyParser } from './json-body-parser.ts';
import { serializeJson } from './json-writer.ts';
import { isLoopbackHost } from './loopback.ts';
import { datasetVerifyRoutes } from './routes/dataset-verify.ts';
import { datasetsRoutes } from './routes/datasets.ts';
import { driftRoutes } from './routes/drift.ts';
import { freshnessRoutes } from './routes/freshness.ts';
import { healthRoutes } from './routes/health.ts';
import { historicalFeaturesRoutes } from './routes/historical-features.ts';
import { materializeRoutes } from './routes/materialize.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { onlineFeaturesRoutes } from './routes/online-features.ts';
import { pushRoutes } from './routes/push.ts';
import { registryRoutes } from './routes/registry.ts';
import { statisticsRoutes } from './routes/statistics.ts';
import { uiRoutes } from './routes/ui.ts';
import { validationRoutes } from './routes/validation.ts';
import type { ServerContext } from './server-context.ts';
import { type FreshnessSource, ServerMetrics } from './server-metrics.ts';
import type { ServingStore } from './serving-store.ts';
import { zodValidatorCompiler } from './zod-validator-compiler.ts';
import './route-scope.ts';

export interface ServerOptions {
  /** The address the server will bind; on anything but loopback, keys are required. */
  host: string;
  bodyLimitBytes: number;
  maxEntities: number;
  apiKeys: readonly ApiKeyConfig[];
  /** Resolves `keyEnv` of API keys; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Deadline of online reads, pushes and health probes (default 2000 ms). */
  storeTimeoutMs?: number;
  /** Deadline of registry reads (default 5000 ms). */
  registryTimeoutMs?: number;
  /** Newest event time per view for the freshness gauge, when the store can tell. */
  freshness?: FreshnessSource;
  logger?: FastifyServerOptions['logger'];
}

/** Server options from a repo's config (`server` section, environment already applied). */
export function serverOptionsFromConfig(
  config: ResolvedConfig,
  overrides: Partial<ServerOptions> = {},
): ServerOptions {
  return {
    host: config.server.host,
    bodyLimitBytes: config.server.bodyLimitBytes,
    maxEntities: config.server.maxEntities,
    apiKeys: config.server.auth.keys,
    // Redis gets its own command timeout; the server's deadline covers retries and queueing too.
    storeTimeoutMs: config.onlineStore.commandTimeoutMs * 2,
    ...overrides,
  };
}

/**
 * Log fields that can carry API keys; never logged. `err.rawPacket` is the raw request Node attaches
 * to HTTP parse errors, headers included.
 */
export const SECRET_LOG_PATHS = ['req.headers.authorization', 'req.headers["x-api-key"]', 'err.rawPacket'];

export async function buildServer(store: ServingStore, options: ServerOptions): Promise<FastifyInstance> {
  const keys = ApiKeySet.fromConfig(options.apiKeys, options.env ?? process.env);
  if (keys.size === 0 && !isLoopbackHost(options.host)) {
    throw new TroveError(
      'AUTH_REQUIRED',
      `refusing to serve on ${options.host} without API keys: write and admin endpoints would be open to the network; configure server.auth.keys or TROVE_API_KEYS, or bind to 127.0.0.1`,
    );
  }

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes,
    // A client must not hold a socket open forever by sending slowly.
    requestTimeout: 120_000,
    clientErrorHandler,
    // Errors raised before routing (a malformed URL, a bad content type header) bypass the error
    // handler; answer them in the same shape.
    frameworkErrors: (err, request, reply) => {
      const apiError = toApiError(err, request);
      const body = JSON.stringify({ error: { code: apiError.code, message: apiError.message } });
      reply.raw.writeHead(apiError.status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      reply.raw.end(body);
    },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setReplySerializer((payload) => serializeJson(payload));
  registerJsonBodyParser(app);
  registerErrorHandler(app);
  registerAuthHook(app, keys);

  const newest = store.newestEventTimes?.bind(store);
  const metrics = new ServerMetrics(options.freshness ?? newest, store.validationRecords?.bind(store));
  registerConsistencyGauge(metrics.registry, store.lastConsistencyChecks?.bind(store));
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });

  const context: ServerContext = {
    store,
    metrics,
    maxEntities: options.maxEntities,
    storeTimeoutMs: options.storeTimeoutMs ?? 2000,
    registryTimeoutMs: options.registryTimeoutMs ?? 5000,
  };
  const typed = app.withTypeProvider<ZodTypeProvider>();
  // On-demand transforms load before the server listens: the first request does not wait for them.
  app.addHook('onReady', async () => {
    await store.prepareOnline?.().catch((err: unknown) => {
      app.log.warn({ err }, 'could not prepare on-demand transforms; requests will report why');
    });
  });
  await typed.register(onlineFeaturesRoutes, { context });
  await typed.register(historicalFeaturesRoutes, { context });
  await typed.register(pushRoutes, { context });
  await typed.register(materializeRoutes, { context });
  await typed.register(registryRoutes, { context });
  await typed.register(datasetsRoutes, { context });
  await typed.register(statisticsRoutes, { context });
  await typed.register(healthRoutes, { context });
  await typed.register(metricsRoutes, { context });
  await typed.register(freshnessRoutes, { context });
  await typed.register(validationRoutes, { context });
  await typed.register(datasetVerifyRoutes, { context });
  await typed.register(driftRoutes, { context });
  await typed.register(uiRoutes, { authRequired: keys.size > 0 });
  return app;
}
