/**
 * A materialization of the aggregation kill test's view in its own process: `node --import tsx
 * aggregation-materialize-child.ts '<json>'` with { dir, prefix, now, start, end }. Exits 0 when done.
 */
import { materialize } from '../../src/materialize/materialize.ts';
import { openStore } from '../online/online-fixture.ts';
import { aggKillRegistry } from './aggregation-kill-fixture.ts';
import { makeConfig, makeContext } from './offline-fixture.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  dir: string;
  prefix: string;
  now: string;
  start: string;
  end: string;
};
const store = openStore(args.prefix);
await materialize(
  {
    ...makeContext(makeConfig(args.dir, args.prefix), aggKillRegistry, store),
    now: () => new Date(args.now),
    lockTtlMs: 30_000,
  },
  { start: new Date(args.start), end: new Date(args.end) },
);
await store.close();
