/**
 * The API's only JSON body parser: lossless for big integers (see lossless-json.ts). Registering
 * it after removing Fastify's defaults also means any other content type gets a 415.
 */
import type { FastifyInstance } from 'fastify';
import { parseLosslessJson } from './lossless-json.ts';

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseLosslessJson(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
