/**
 * Entry point of the materializer worker (`npm run materializer -- --repo DIR`): incremental
 * materialization on the configured interval, JSON logs on stdout, a health endpoint, and a clean
 * stop on SIGTERM/SIGINT. Settings: --repo / TROVE_REPO, --health-port /
 * TROVE_MATERIALIZER_HEALTH_PORT (default 6567, 0 disables), --health-host /
 * TROVE_MATERIALIZER_HEALTH_HOST (default 0.0.0.0), TROVE_RECLAIM_EVERY (seconds, default 3600),
 * --mode / TROVE_MATERIALIZER_MODE: `schedule` (default: each run in this process), `distributed`
 * (each run through the shard queue, and shards taken) or `shards` (shards taken, no schedule).
 * Shards of every kind are taken: materialization and compute.
 */
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { FeatureStore } from '../src/feature-store.ts';
import { MaterializeShards } from '../src/materialize/distributed/materialize-shard-handler.ts';
import { ComputeShards } from '../src/offline/distributed/compute-shard-handler.ts';
import { HistoricalShardWorker } from '../src/offline/distributed-historical/shard-join.ts';
import { ShardWorker } from '../src/queue/shard-worker.ts';
import { startHealthServer } from './health-server.ts';
import { MaterializerWorker } from './worker.ts';

const logger = pino({ base: { service: 'trove-materializer' } });

const USAGE =
  'usage: materializer [--repo DIR] [--mode schedule|distributed|shards] [--health-port N] [--health-host HOST]';

function parseOptions() {
  try {
    return parseArgs({
      options: {
        repo: { type: 'string', default: process.env.TROVE_REPO ?? '.' },
        'health-port': { type: 'string', default: process.env.TROVE_MATERIALIZER_HEALTH_PORT ?? '6567' },
        'health-host': { type: 'string', default: process.env.TROVE_MATERIALIZER_HEALTH_HOST ?? '0.0.0.0' },
        mode: { type: 'string', default: process.env.TROVE_MATERIALIZER_MODE ?? 'schedule' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    // A mistyped flag gets its message and the usage, not a stack trace.
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

const { values } = parseOptions();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const MODES = ['schedule', 'distributed', 'shards'] as const;

async function main(): Promise<void> {
  const mode = MODES.find((m) => m === values.mode);
  if (!mode) throw new Error(`--mode: expected one of ${MODES.join(', ')}, got ${values.mode}`);
  const store = await FeatureStore.open(values.repo);
  const worker = new MaterializerWorker(store, logger, {
    reclaimEverySeconds: Number(process.env.TROVE_RECLAIM_EVERY ?? 3600),
    distributed: mode === 'distributed' ? {} : undefined,
  });
  const shards =
    mode === 'schedule'
      ? undefined
      : new ShardWorker({
          redis: store.config.onlineStore,
          keyBase: store.online().keys.base,
          handlers: [
            new MaterializeShards({
              config: store.config,
              online: store.online(),
              registry: () => store.registry(),
            }),
            new ComputeShards({ config: store.config, registry: () => store.registry() }),
          ],
          log: (msg, fields) => logger.info(fields, msg),
        });
  await shards?.ready();
  // Training-dataset shards (`trove historical --distributed`) come on a queue of their own.
  const historical =
    mode === 'schedule'
      ? undefined
      : new HistoricalShardWorker({
          config: store.config,
          registry: () => store.registry(),
          log: (msg, fields) => logger.info(fields, msg),
        });
  await historical?.ready();
  const port = Number(values['health-port']);
  let server: Server | undefined;
  if (port > 0) {
    server = await startHealthServer(port, values['health-host'], async () => {
      let redis = 'ok';
      try {
        await store.pingOnline();
      } catch (err) {
        redis = (err as Error).message;
      }
      return {
        healthy: redis === 'ok' && (worker.lastCycleAt === null || worker.lastCycleOk),
        redis,
        lastCycleAt: worker.lastCycleAt,
        views: Object.fromEntries(worker.views),
      };
    });
  }
  logger.info(
    {
      repo: store.config.repoDir,
      project: store.config.project,
      interval: store.config.materialize.interval,
      healthPort: port,
      mode,
    },
    'materializer started',
  );
  if (mode !== 'shards') worker.start();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping after the view under way');
    void (async () => {
      await worker.stop();
      await shards?.close();
      await historical?.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await store.close();
      logger.info('materializer stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  logger.fatal({ err: (err as Error).message }, 'materializer could not start');
  process.exit(1);
});
