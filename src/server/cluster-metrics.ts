/**
 * `/metrics` under `trove serve --workers N`: every worker counts what it serves in its own
 * registry, and whichever worker a scrape reaches answers with the sum over all of them. prom-client's
 * AggregatorRegistry gathers the workers' registries, but only in the primary process: the worker
 * asks the primary over the cluster's IPC channel, and the primary asks every worker.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'trove:cluster-metrics-request';
const ANSWER = 'trove:cluster-metrics-answer';
/** prom-client gives up on a worker after 5 s; the asking worker waits a little longer. */
const ANSWER_TIMEOUT_MS = 6000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}

interface MetricsAnswer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

/** Whether this process is a worker of `trove serve --workers N` (the primary sets the variable). */
export function isServeWorker(): boolean {
  return cluster.isWorker && process.env.TROVE_SERVE_WORKER === '1';
}

/** In the primary: answers workers' requests for the metrics of all workers. */
export function answerClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsRequest) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: ANSWER, id: message.id, text } satisfies MetricsAnswer),
      (err: unknown) =>
        worker.send({
          type: ANSWER,
          id: message.id,
          error: err instanceof Error ? err.message : String(err),
        } satisfies MetricsAnswer),
    );
  });
}

let nextId = 0;
const waiting = new Map<number, (answer: MetricsAnswer) => void>();
let listening = false;

/**
 * In a worker, at start (the primary asks every worker, scraped or not): hands `registry` to the
 * primary's gathering, and listens for the answers `clusterMetricsText` waits for.
 */
export function shareWorkerMetrics(registry: Registry): void {
  if (listening) return;
  listening = true;
  // Constructing one makes prom-client answer the primary's requests from this worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  process.on('message', (message: MetricsAnswer) => {
    if (message?.type !== ANSWER) return;
    waiting.get(message.id)?.(message);
  });
}

/** In a worker: resolves to the metrics of every worker, in the Prometheus text format. */
export function clusterMetricsText(): Promise<string> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`the workers' metrics did not arrive within ${ANSWER_TIMEOUT_MS} ms`));
    }, ANSWER_TIMEOUT_MS);
    waiting.set(id, (answer) => {
      clearTimeout(timer);
      waiting.delete(id);
      if (answer.error !== undefined)
        reject(new Error(`gathering the workers' metrics failed: ${answer.error}`));
      else resolve(answer.text ?? '');
    });
    process.send?.({ type: REQUEST, id } satisfies MetricsRequest);
  });
}
