/**
 * The one place errors become HTTP answers: `{"error": {"code", "message"}}` with the statuses of
 * SPEC §6. TroveErrors carry their own status; Fastify's own errors (body too large, wrong content
 * type, failed schema validation) are mapped by their status; anything else is a defect, logged in
 * full and answered with a 500 that leaks nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { TroveError } from '../errors.ts';

export interface ApiError {
  status: number;
  code: string;
  message: string;
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'STORE_UNAVAILABLE',
};

function describeIssues(
  context: string,
  issues: readonly { instancePath?: string; path?: PropertyKey[]; message?: string }[],
): string {
  const shown = issues.slice(0, 5).map((issue) => {
    const where =
      issue.instancePath !== undefined
        ? issue.instancePath.replace(/^\//, '').replaceAll('/', '.')
        : (issue.path ?? []).map(String).join('.');
    return `${context}${where ? `.${where}` : ''}: ${issue.message ?? 'invalid'}`;
  });
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  return shown.join('; ');
}

/** Classifies an error thrown while serving a request. */
export function toApiError(err: unknown, request?: FastifyRequest): ApiError {
  if (err instanceof TroveError) return { status: err.status, code: err.code, message: err.message };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const context = (err as { validationContext?: string }).validationContext ?? 'body';
    return { status: 400, code: 'INVALID_REQUEST', message: describeIssues(context, err.validation) };
  }
  if (err instanceof ZodError) {
    return { status: 400, code: 'INVALID_REQUEST', message: describeIssues('body', err.issues) };
  }
  const status = (err as FastifyError | undefined)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    let message = err instanceof Error ? err.message : 'bad request';
    if (status === 415) {
      const type = request?.headers['content-type'];
      message = `content type ${type === undefined ? '(none)' : JSON.stringify(type.slice(0, 100))} is not accepted here; send application/json`;
    } else if (status === 413 && request) {
      message = `request body is larger than this endpoint's limit of ${request.routeOptions.bodyLimit} bytes`;
    }
    return { status, code: CODES_BY_STATUS[status] ?? 'BAD_REQUEST', message };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error; see the server log' };
}

/** How long the rest of a refused body is read (and discarded) before the 413 goes out. */
const DRAIN_MS = 5_000;

/**
 * Fastify refuses a body over the limit before reading it, answers, and closes the connection.
 * Closing while the client is still sending makes the kernel reset the connection, and a client
 * that had not read the 413 yet loses it (it sees a reset, not an answer). So the rest of the body
 * is read and discarded first, for at most DRAIN_MS, and the 413 sent after it.
 */
function drainRefusedBody(raw: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (raw.readableEnded || raw.destroyed) return resolve();
    const done = () => {
      clearTimeout(timer);
      raw.off('end', done);
      raw.off('close', done);
      raw.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, DRAIN_MS);
    raw.on('end', done);
    raw.on('close', done);
    raw.on('error', done);
    raw.resume();
  });
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(async (err, request, reply) => {
    if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') await drainRefusedBody(request.raw);
    const apiError = toApiError(err, request);
    if (apiError.status >= 500 && apiError.status !== 503) request.log.error({ err }, 'request failed');
    else if (apiError.status === 503) request.log.warn({ code: apiError.code }, apiError.message);
    return reply
      .code(apiError.status)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify({ error: { code: apiError.code, message: apiError.message } }));
  });
  app.setNotFoundHandler((request, reply) => {
    return reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send(
        JSON.stringify({
          error: { code: 'NOT_FOUND', message: `no endpoint ${request.method} ${request.url.split('?')[0]}` },
        }),
      );
  });
}
