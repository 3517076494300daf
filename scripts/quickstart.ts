// The main job end to end on the bundled example: generate data, register the definitions, and
// each later stage of the pipeline, printing every command as a user would type it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { generateExampleData } from '../src/example/generate-example-data.ts';

const root = path.resolve(import.meta.dirname, '..');
const repo = path.join(root, 'feature_repo');
const bin = path.join(root, 'bin', 'trove.mjs');

function trove(...args: string[]): void {
  process.stdout.write(`\n$ trove ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [bin, ...args, '--repo', repo], { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`quickstart: "trove ${args.join(' ')}" failed (exit ${result.status})\n`);
    process.exit(result.status ?? 1);
  }
}

process.stdout.write('Trove quick start on the ride-hailing example (feature_repo/)\n');
process.stdout.write('\n$ npm run generate-data\n');
await generateExampleData(path.join(repo, 'data'), { rows: 100_000 });
process.stdout.write(
  'Generated driver_stats, customer_profile, trips and training_rows in feature_repo/data\n',
);

trove('plan');
trove('apply');

process.stdout.write(
  '\nDone: the example is registered (trove registry-dump --repo feature_repo shows it).\n',
);
