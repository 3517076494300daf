/**
 * The one place errors become HTTP answers: `{"error": {"code", "message"}}` with the statuses of
 * SPEC §6. TroveErrors carry their own status; Fastify's own errors (body too large, wrong content
 * type, failed schema validation) are mapped by their status; anything else is a defect, logged in
 * full and answered with a 500 that leaks nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ZodError, type z } from 'zod';
import { formatPath } from '../definitions/zod-problems.ts';
import { TroveError } from '../errors.ts';
import { describeZodIssue } from '../zod-issue-message.ts';

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

const SHOWN_ISSUES = 5;

/** The part of a request a schema checked, as the schema saw it (Fastify passes null for none). */
function requestPart(request: FastifyRequest | undefined, context: string): unknown {
  const parts: Record<string, unknown> = {
    body: request?.body,
    querystring: request?.query,
    params: request?.params,
    headers: request?.headers,
  };
  return parts[context] ?? null;
}

/** `body.features: got "x", expected a list; …`: the first few issues, each naming the value given. */
function describeIssues(context: string, input: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, SHOWN_ISSUES).map((issue) => {
    const { path, message } = describeZodIssue(issue, input);
    return `${formatPath([context, ...path])}: ${message}`;
  });
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  return shown.join('; ');
}

/** Classifies an error thrown while serving a request. */
export function toApiError(err: unknown, request?: FastifyRequest): ApiError {
  if (err instanceof TroveError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof ZodError) {
    // Fastify tags a schema failure with the part of the request it checked; a schema a route
    // applies itself checks the body.
    const context = (err as { validationContext?: string }).validationContext ?? 'body';
    const message = describeIssues(context, requestPart(request, context), err.issues);
    return { status: 400, code: 'INVALID_REQUEST', message };
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
