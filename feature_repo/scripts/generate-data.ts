// Generates the example's data into feature_repo/data: `npm run generate-data -- --rows 1000000`.
// Deterministic: the same --rows, --seed and --end always give the same data. The data spans the 30
// days before --end, which defaults to the start of the current minute so that online values are
// fresh right after generation: within their views' ttl, and the newest trips inside the 1h windows
// of driver_trip_stats.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateExampleData } from '../../src/example/generate-example-data.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: path.resolve(import.meta.dirname, '..', 'data') },
    end: { type: 'string' },
  },
});
const rows = Number(values.rows);
const seed = Number(values.seed);
if (!Number.isInteger(rows) || rows <= 0) throw new Error('--rows: expected a positive whole number');
if (!Number.isInteger(seed)) throw new Error('--seed: expected a whole number');
const end = values.end ? new Date(values.end) : startOfMinute(new Date());
if (Number.isNaN(end.getTime())) throw new Error('--end: expected an ISO 8601 time');
function startOfMinute(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 60_000) * 60_000);
}

const started = performance.now();
await generateExampleData(values.out, { rows, seed, end });
process.stdout.write(
  `Generated about ${rows} feature rows ending ${end.toISOString()} in ${values.out} (${Math.round(performance.now() - started)} ms)\n`,
);
