/** The worker's health endpoint: `GET /health` answers 200 while the worker is healthy, else 503. */
import http from 'node:http';

export interface HealthReport {
  healthy: boolean;
  [field: string]: unknown;
}

export function startHealthServer(
  port: number,
  host: string,
  report: () => Promise<HealthReport>,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/health' && req.url !== '/healthz')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    report().then(
      (r) =>
        res.writeHead(r.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
      (err: unknown) =>
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ healthy: false, error: String(err) })),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
