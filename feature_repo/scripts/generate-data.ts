// Generates the example's data into feature_repo/data: `npm run generate-data -- --rows 1000000`.
// Deterministic: the same --rows and --seed always give the same data.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateExampleData } from '../../src/example/generate-example-data.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: path.resolve(import.meta.dirname, '..', 'data') },
  },
});
const rows = Number(values.rows);
const seed = Number(values.seed);
if (!Number.isInteger(rows) || rows <= 0) throw new Error('--rows: expected a positive whole number');
if (!Number.isInteger(seed)) throw new Error('--seed: expected a whole number');
const started = performance.now();
await generateExampleData(values.out, { rows, seed });
process.stdout.write(
  `Generated about ${rows} feature rows in ${values.out} (${Math.round(performance.now() - started)} ms)\n`,
);
