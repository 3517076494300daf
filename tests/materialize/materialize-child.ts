/**
 * A materialization in its own process, for the kill test: `node --import tsx materialize-child.ts
 * '<json>'` with { dir, prefix, start, end, lockTtlMs }. Exits 0 when done.
 */
import { materialize } from '../../src/materialize/materialize.ts';
import { openStore } from '../online/online-fixture.ts';
import { killRegistry } from './kill-fixture.ts';
import { makeConfig, makeContext } from './offline-fixture.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  dir: string;
  prefix: string;
  start: string;
  end: string;
  lockTtlMs: number;
};
const store = openStore(args.prefix);
const config = makeConfig(args.dir, args.prefix, { batchSize: 20_000 });
await materialize(
  { ...makeContext(config, killRegistry, store), lockTtlMs: args.lockTtlMs },
  { start: new Date(args.start), end: new Date(args.end) },
);
await store.close();
