/**
 * A TCP proxy in front of Redis whose open connections can be frozen: they stay open and swallow
 * every byte, as a connection does after a network partition or a failover that sent no reset,
 * while connections opened afterwards are forwarded normally.
 */
import net from 'node:net';

export interface FreezableProxy {
  url: string;
  /** Silences every connection open now; later connections pass. */
  freeze(): void;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startFreezableProxy(target: URL): Promise<FreezableProxy> {
  const pairs: { client: net.Socket; upstream: net.Socket; frozen: boolean }[] = [];
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    const pair = { client, upstream, frozen: false };
    pairs.push(pair);
    client.on('data', (d) => {
      if (!pair.frozen) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!pair.frozen) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => {
      for (const p of pairs) p.frozen = true;
    },
    get connections() {
      return connections;
    },
    close: async () => {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
