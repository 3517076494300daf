/**
 * A body over the limit is answered 413, and the client gets to read that answer: the server keeps
 * reading (and discarding) what the client is still sending for a while before it closes, instead
 * of closing at once and having the connection reset under the client, which loses the answer.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './server-fixture.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ options: { bodyLimitBytes: 64 * 1024 } });
});

afterAll(async () => {
  await server?.close();
});

/** Sends `size` bytes of body while reading nothing for `readAfterMs`; resolves to what came back. */
function slowReader(size: number, readAfterMs: number): Promise<string> {
  const url = new URL('/get-online-features', server.base);
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const received: Buffer[] = [];
    socket.pause();
    socket.on('error', () => {});
    const finish = () => {
      socket.destroy();
      resolve(Buffer.concat(received).toString());
    };
    socket.on('close', finish);
    socket.on('data', (c: Buffer) => {
      received.push(c);
      const text = Buffer.concat(received).toString();
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
      const head = text.indexOf('\r\n\r\n');
      if (head >= 0 && Buffer.byteLength(text.slice(head + 4)) >= length) finish();
    });
    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(16 * 1024, 'x');
    let sent = 0;
    const pump = () => {
      while (sent < size && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    // Keep sending, as a client uploading a large file does, and read only later.
    setTimeout(pump, 50);
    setTimeout(() => socket.resume(), readAfterMs);
  });
}

describe('a body over the limit', () => {
  it('is answered 413, and the answer reaches a client still sending', async () => {
    for (let i = 0; i < 3; i++) {
      const answer = await slowReader(4 * 1024 * 1024, 500);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('"code":"PAYLOAD_TOO_LARGE"');
    }
  });
});
