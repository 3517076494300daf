/**
 * Finds a Sentinel-watched master for the online store's own connections: asks each sentinel in
 * turn `SENTINEL get-master-addr-by-name`, the first to answer first next time (the order the
 * Sentinel client guidelines give). A connection asks before every connect, so after a failover
 * (its master killed, or demoted and its clients dropped) it reconnects to the promoted replica.
 */
import { type RespAddress, RespConnection, RespConnectionError } from './resp-connection.ts';

export interface SentinelMasterOptions {
  /** Sentinels as `host:port`. */
  sentinels: readonly string[];
  /** The master's name in the sentinels' configuration. */
  name: string;
  sentinelPassword?: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** Returns a function resolving to the master's current address. */
export function sentinelMaster(options: SentinelMasterOptions): () => Promise<RespAddress> {
  const sentinels = [...options.sentinels];
  if (sentinels.length === 0) throw new Error('sentinel: no sentinels given');
  const auth = options.sentinelPassword ? `:${encodeURIComponent(options.sentinelPassword)}@` : '';
  return async () => {
    const failures: string[] = [];
    for (let i = 0; i < sentinels.length; i++) {
      const sentinel = sentinels[i]!;
      const connection = new RespConnection({
        url: `redis://${auth}${sentinel}`,
        connectTimeoutMs: options.connectTimeoutMs,
        commandTimeoutMs: options.commandTimeoutMs,
      });
      try {
        const reply = await connection.send(['SENTINEL', 'get-master-addr-by-name', options.name]);
        if (!Array.isArray(reply) || reply.length < 2) {
          failures.push(`${sentinel}: knows no master named ${options.name}`);
          continue;
        }
        // The sentinel that answered is asked first from now on.
        if (i > 0) sentinels.unshift(...sentinels.splice(i, 1));
        return { host: String(reply[0]), port: Number(String(reply[1])) };
      } catch (err) {
        failures.push(`${sentinel}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        void connection.close();
      }
    }
    throw new RespConnectionError(`no sentinel named the master ${options.name} (${failures.join('; ')})`);
  };
}
