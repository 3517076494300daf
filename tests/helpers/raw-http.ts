/**
 * HTTP/1.1 requests written byte for byte on a socket, for what fetch refuses to send: control
 * characters in a header, the same header twice, headers past the size limit, a body that is
 * announced but never sent.
 */
import net from 'node:net';

export interface RawAnswer {
  status: number;
  /** Header names in lower case; repeated headers joined by ", ". */
  headers: Record<string, string>;
  body: string;
}

/** A request head: request line, headers (name, value pairs, sent as given), a blank line. */
export function rawHead(
  method: string,
  target: string,
  headers: readonly (readonly [string, string])[],
): string {
  const lines = [`${method} ${target} HTTP/1.1`, ...headers.map(([name, value]) => `${name}: ${value}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function parseAnswer(bytes: Buffer): { answer: RawAnswer; complete: boolean } | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const body = bytes.subarray(end + 4);
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  return {
    answer: { status, headers, body: body.subarray(0, length).toString('utf8') },
    complete: length !== undefined && body.length >= length,
  };
}

/**
 * Sends `request` as is to 127.0.0.1:`port` and resolves with the answer once its body is in
 * (by content-length) or the server closed the connection; rejects if neither happens in time.
 */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    const finish = (outcome: RawAnswer | Error): void => {
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const settleFrom = (closed: boolean): void => {
      const parsed = parseAnswer(Buffer.concat(chunks));
      if (parsed && (parsed.complete || closed)) finish(parsed.answer);
      else if (closed) finish(new Error('the server closed the connection without an answer'));
    };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      settleFrom(false);
    });
    socket.on('end', () => settleFrom(true));
    socket.on('close', () => settleFrom(true));
    // A server may answer and close before it read everything sent; the answer still counts.
    socket.on('error', () => settleFrom(true));
    socket.write(request);
  });
}
