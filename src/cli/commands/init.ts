import { access, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { jsonSchemas } from '../../definitions/json-schemas.ts';
import { generateExampleData } from '../../example/generate-example-data.ts';

const TEMPLATE_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'templates', 'init');

/** Rows of example data a new repo gets: enough to see every feature, small enough to read. */
const INIT_ROWS = 5_000;

/**
 * `trove init DIR`: a working repo of the ride-hailing example with YAML definitions, a JSON Schema
 * for editors, and small generated data, ready for `trove apply`.
 */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('scaffold a working feature repo with example data')
    .argument('<dir>', 'folder to create the repo in')
    .option('--rows <n>', 'rows of example data', String(INIT_ROWS))
    .action(async (dir: string, options: { rows: string }) => {
      const target = path.resolve(dir);
      const exists = await access(path.join(target, 'trove.yaml')).then(
        () => true,
        () => false,
      );
      if (exists) throw new Error(`${target} already has a trove.yaml; not overwriting it`);
      const rows = Number(options.rows);
      if (!Number.isInteger(rows) || rows <= 0) throw new Error(`--rows: expected a positive whole number`);
      await mkdir(target, { recursive: true });
      await copyFile(path.join(TEMPLATE_DIR, 'trove.yaml'), path.join(target, 'trove.yaml'));
      await copyFile(path.join(TEMPLATE_DIR, 'ride_hailing.yaml'), path.join(target, 'ride_hailing.yaml'));
      await copyFile(path.join(TEMPLATE_DIR, 'gitignore'), path.join(target, '.gitignore'));
      const schema = jsonSchemas()['definitions.schema.json'];
      await writeFile(path.join(target, 'definitions.schema.json'), `${JSON.stringify(schema, null, 2)}\n`);
      await generateExampleData(path.join(target, 'data'), { rows });
      process.stdout.write(
        `Created a feature repo in ${target} with ${rows} rows of example data.\n` +
          `Next: trove apply --repo ${dir}\n`,
      );
    });
}
