/**
 * Requests Node's HTTP parser rejects never reach Fastify's routing or error handler: a header with
 * a control character, headers over the size limit, a request that took too long. This answers
 * them in the API's error shape like every other error, and logs only the parser's error code:
 * Node attaches the raw bytes of the request to these errors, and they hold whatever API key the
 * client sent.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

const CLOSE_AFTER_MS = 1_000;

interface ClientError extends Error {
  code?: string;
}

function answerOf(err: ClientError): { status: number; code: string; message: string } {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time' };
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      code: 'HEADERS_TOO_LARGE',
      message: 'the request headers are larger than this server accepts',
    };
  }
  return {
    status: 400,
    code: 'MALFORMED_HTTP',
    message: `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`,
  };
}

/** Fastify's `clientErrorHandler`; Fastify calls it with the server instance as `this`. */
export function clientErrorHandler(this: FastifyInstance, err: ClientError, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = answerOf(err);
  this.log.debug({ code: err.code, status }, 'malformed request refused');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  // A client still sending gets a moment to read the answer, then the socket goes.
  setTimeout(() => socket.destroy(), CLOSE_AFTER_MS).unref();
}
