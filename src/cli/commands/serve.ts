import cluster from 'node:cluster';
import type { Command } from 'commander';
import type { buildServer } from '../../server/app.ts';
import { outputSettings } from '../output/output-settings.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

interface ServeOptions extends RepoOptions {
  host?: string;
  port?: string;
  logLevel?: string;
  workers?: string;
}

/** Most workers `--workers` takes: far past any machine's cores, short of a typo's thousands. */
const MAX_WORKERS = 256;

/** How long in-flight requests get to finish after SIGTERM/SIGINT before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * `trove serve`: the HTTP API. Host and port come from the flags, else `server` in trove.yaml (after
 * TROVE_SERVER_HOST / TROVE_SERVER_PORT). On SIGTERM or SIGINT the server stops accepting
 * connections, finishes the requests under way, then the store closes its connections. With
 * `--workers N` (N > 1) this process forks N workers that each serve the API on the same port
 * (src/server/serve-workers.ts).
 */
export function registerServeCommand(program: Command): void {
  withRepoOption(
    program
      .command('serve')
      .description('serve the HTTP API (Feast-compatible feature server)')
      .option('--host <host>', 'address to bind (default: server.host of trove.yaml)')
      .option('--port <port>', 'port to listen on (default: server.port of trove.yaml, 6566)')
      .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (default: info)')
      .option('--workers <n>', 'API processes sharing the port, metrics summed over them (default: 1)'),
  ).action(async (options: ServeOptions, command: Command) => {
    // --quiet and --verbose stand for a level when none is given.
    const { verbosity } = outputSettings(command);
    const logLevel =
      options.logLevel ?? (verbosity === 'quiet' ? 'error' : verbosity === 'verbose' ? 'debug' : 'info');
    const workers = options.workers === undefined ? 1 : Number(options.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS)
      throw new Error(`--workers: expected a whole number from 1 to ${MAX_WORKERS}, got ${options.workers}`);
    if (workers > 1 && cluster.isPrimary) {
      const [{ pino }, { runServeWorkers }] = await Promise.all([
        import('pino'),
        import('../../server/serve-workers.ts'),
      ]);
      process.exitCode = await runServeWorkers(workers, pino({ level: logLevel }));
      return;
    }
    const [{ FeatureStore }, { buildServer, SECRET_LOG_PATHS, serverOptionsFromConfig }] = await Promise.all([
      import('../../feature-store.ts'),
      import('../../server/app.ts'),
    ]);
    const store = await FeatureStore.open(options.repo);
    const config = store.config;
    const host = options.host ?? config.server.host;
    const port = options.port !== undefined ? Number(options.port) : config.server.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      await store.close();
      throw new Error(`--port: expected a port number, got ${options.port}`);
    }
    let app: Awaited<ReturnType<typeof buildServer>>;
    try {
      app = await buildServer(
        store,
        serverOptionsFromConfig(config, {
          host,
          logger: { level: logLevel, redact: { paths: SECRET_LOG_PATHS, censor: '[redacted]' } },
        }),
      );
      await app.listen({ host, port });
    } catch (err) {
      await store.close();
      throw err;
    }

    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        app.log.info({ signal }, 'shutting down');
        const force = setTimeout(() => {
          app.log.error('requests did not finish in time; exiting');
          process.exit(1);
        }, SHUTDOWN_GRACE_MS);
        force.unref();
        app
          .close()
          .catch((err: unknown) => app.log.error({ err }, 'closing the server failed'))
          .then(() => store.close())
          .catch((err: unknown) => app.log.error({ err }, 'closing the store failed'))
          .finally(resolve);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  });
}
