/**
 * Requests at and far beyond the server's limits (entity rows, body size, nesting, column counts),
 * each with the statuses it may get: a server must refuse what is too large with a 4xx in bounded
 * time and keep serving, and must answer what is just within its limits.
 */
import net from 'node:net';
import { tableFromArrays, tableToIPC } from 'apache-arrow';

export interface HugeRequest {
  what: string;
  url: string;
  contentType: string;
  body: () => string | Uint8Array;
  /** Statuses that count as a correct answer. */
  expect: readonly number[];
}

export interface HugeAnswer {
  what: string;
  status: number;
  ms: number;
  /** Why the answer is wrong, or undefined. */
  problem?: string;
}

const FEATURE = 'driver_hourly_stats:conv_rate';

function ids(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 1000 + (i % 5000));
}

function times(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    new Date(Date.UTC(2024, 0, 1) + (i % 100_000) * 60_000).toISOString(),
  );
}

/** The requests, for a server with `maxEntities` and `bodyLimitBytes` as configured. */
export function hugeRequests(maxEntities: number, bodyLimitBytes: number): HugeRequest[] {
  const json = 'application/json';
  const online =
    (entities: unknown, features: unknown = [FEATURE]) =>
    () =>
      JSON.stringify({ entities, features });
  const rowsWithinLimit = Math.floor(bodyLimitBytes / 40);
  return [
    {
      what: `online read of ${maxEntities} entities (the limit)`,
      url: '/get-online-features',
      contentType: json,
      body: online({ driver_id: ids(maxEntities) }),
      expect: [200],
    },
    {
      what: `online read of ${maxEntities + 1} entities`,
      url: '/get-online-features',
      contentType: json,
      body: online({ driver_id: ids(maxEntities + 1) }),
      expect: [413],
    },
    {
      what: 'online read of 1,000,000 entities',
      url: '/get-online-features',
      contentType: json,
      body: online({ driver_id: ids(1_000_000) }),
      expect: [413],
    },
    {
      what: 'online read with 100,000 entity columns',
      url: '/get-online-features',
      contentType: json,
      body: online(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`c${i}`, [1]]))),
      expect: [400, 413],
    },
    {
      what: 'online read asking for 100,000 features',
      url: '/get-online-features',
      contentType: json,
      body: online(
        { driver_id: [1001] },
        Array.from({ length: 100_000 }, (_, i) => `driver_hourly_stats:f${i}`),
      ),
      expect: [400, 404, 413],
    },
    {
      what: 'a body one byte over the limit',
      url: '/get-online-features',
      contentType: json,
      body: () => {
        const head = `{"entities":{"driver_id":[1]},"features":["${FEATURE}"],"pad":"`;
        return `${head}${'x'.repeat(bodyLimitBytes + 1 - head.length - 2)}"}`;
      },
      expect: [413],
    },
    {
      what: 'a 64 MiB body',
      url: '/push',
      contentType: json,
      body: () => `{"push_source_name":"driver_push","df":{"x":["${'y'.repeat(64 * 1024 * 1024)}"]}}`,
      expect: [413],
    },
    {
      what: 'JSON nested 1,000,000 deep',
      url: '/get-online-features',
      contentType: json,
      body: () => `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`,
      expect: [400],
    },
    {
      what: 'one entity value of 7 MB',
      url: '/get-online-features',
      contentType: json,
      body: online({ customer_id: ['z'.repeat(7_000_000)] }, ['customer_profile:current_balance']),
      expect: [200, 400],
    },
    {
      what: `training rows as JSON, ${rowsWithinLimit} entity rows`,
      url: '/get-historical-features',
      contentType: json,
      body: () =>
        JSON.stringify({
          entities: { driver_id: ids(rowsWithinLimit), event_timestamp: times(rowsWithinLimit) },
          features: [FEATURE],
        }),
      expect: [200],
    },
    {
      what: 'training rows as Arrow IPC, 400,000 entity rows',
      url: `/get-historical-features?features=${FEATURE}`,
      contentType: 'application/vnd.apache.arrow.stream',
      body: () =>
        tableToIPC(
          tableFromArrays({
            driver_id: BigInt64Array.from({ length: 400_000 }, (_, i) => BigInt(1000 + (i % 5000))),
            event_timestamp: times(400_000).map((t) => new Date(t)),
          }),
          'stream',
        ),
      expect: [200, 413],
    },
    {
      what: `a push of ${maxEntities} rows online`,
      url: '/push',
      contentType: json,
      body: () => {
        const n = maxEntities;
        const nulls = Array.from({ length: n }, () => null);
        return JSON.stringify({
          push_source_name: 'driver_push',
          df: {
            driver_id: ids(n),
            event_timestamp: times(n),
            created: nulls,
            conv_rate: ids(n).map((i) => i / 10_000),
            acc_rate: ids(n).map((i) => i / 20_000),
            avg_daily_trips: ids(n),
            photo: nulls,
            languages: nulls,
            rating: ids(n).map((i) => i % 5),
          },
          to: 'online',
        });
      },
      expect: [200],
    },
  ];
}

/**
 * Sends one request the way a careful HTTP client does, over a plain socket: the answer counts as
 * soon as it arrives, even while the body is still being sent (a server refusing a body that is
 * too large answers 413 and closes the connection without reading the rest, and Node's own
 * clients then report the broken pipe instead of the answer). No answer is status 0.
 */
export function sendHuge(base: string, request: HugeRequest, timeoutMs: number): Promise<HugeAnswer> {
  const started = performance.now();
  const body = Buffer.from(request.body());
  const url = new URL(request.url, base);
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let settled = false;
    const socket = net.connect(Number(url.port), url.hostname);
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(received);
      const headEnd = raw.indexOf('\r\n\r\n');
      const head = raw.subarray(0, Math.max(headEnd, 0)).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const text = headEnd < 0 ? '' : raw.subarray(headEnd + 4).toString('utf8');
      const answer: HugeAnswer = { what: request.what, status, ms: Math.round(performance.now() - started) };
      if (!request.expect.includes(status)) {
        answer.problem = `status ${status} (expected ${request.expect.join(' or ')}): ${text.slice(0, 200) || head.slice(0, 200)}`;
      } else if (status >= 400 && !/"error":\{"code":"[A-Z_]+","message":/.test(text)) {
        answer.problem = `status ${status} without a JSON error: ${text.slice(0, 200)}`;
      }
      resolve(answer);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('close', finish);
    // A reset while sending is expected once the server has answered and closed.
    socket.on('error', () => {});
    socket.write(
      `POST ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: ${request.contentType}\r\ncontent-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`,
    );
    // Not end(): a half-closed connection gets no answer; the server closes it after answering.
    socket.write(body);
  });
}
