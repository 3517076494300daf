import { access, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { PACKAGE_ROOT } from '../../package-root.ts';

const TEMPLATE_DIR = path.join(PACKAGE_ROOT, 'templates', 'init');
/** The bundled example's TypeScript definitions, which `--typescript` copies. */
const EXAMPLE_REPO = path.join(PACKAGE_ROOT, 'feature_repo');
const TYPESCRIPT_FILES = ['entities.ts', 'sources.ts', 'feature-views.ts', 'feature-services.ts'];
/** The YAML definitions and the module holding the transforms they name (`transforms.ts#name`). */
const YAML_FILES = ['ride_hailing.yaml', 'transforms.ts'];

/** Rows of example data a new repo gets: enough to see every feature, small enough to read. */
const INIT_ROWS = 5_000;

interface InitOptions {
  rows: string;
  typescript?: boolean;
}

/**
 * `trove init DIR`: a working repo of the ride-hailing example, ready for `trove apply`, with small
 * generated data. Its definitions are YAML with a JSON Schema for editors, or with `--typescript`
 * TypeScript modules with a tsconfig.json that maps `'trove'` to this Trove's types.
 */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('scaffold a working feature repo with example data')
    .argument('<dir>', 'folder to create the repo in')
    .option('--rows <n>', 'rows of example data', String(INIT_ROWS))
    .option('--typescript', 'write the definitions in TypeScript instead of YAML')
    .action(async (dir: string, options: InitOptions) => {
      const target = path.resolve(dir);
      const exists = await access(path.join(target, 'trove.yaml')).then(
        () => true,
        () => false,
      );
      if (exists) throw new Error(`${target} already has a trove.yaml; not overwriting it`);
      const rows = Number(options.rows);
      if (!Number.isInteger(rows) || rows <= 0) throw new Error(`--rows: expected a positive whole number`);
      const [{ jsonSchemas }, { generateExampleData }, { writeTypesShim }] = await Promise.all([
        import('../../definitions/json-schemas.ts'),
        import('../../example/generate-example-data.ts'),
        import('../../definitions/typescript-types-shim.ts'),
      ]);
      await mkdir(target, { recursive: true });
      await copyFile(path.join(TEMPLATE_DIR, 'trove.yaml'), path.join(target, 'trove.yaml'));
      await copyFile(path.join(TEMPLATE_DIR, 'gitignore'), path.join(target, '.gitignore'));
      if (options.typescript) {
        for (const file of TYPESCRIPT_FILES) {
          await copyFile(path.join(EXAMPLE_REPO, file), path.join(target, file));
        }
        await copyFile(path.join(TEMPLATE_DIR, 'tsconfig.json'), path.join(target, 'tsconfig.json'));
        await writeTypesShim(target);
      } else {
        for (const file of YAML_FILES) await copyFile(path.join(TEMPLATE_DIR, file), path.join(target, file));
        const schema = jsonSchemas()['definitions.schema.json'];
        await writeFile(path.join(target, 'definitions.schema.json'), `${JSON.stringify(schema, null, 2)}\n`);
      }
      await generateExampleData(path.join(target, 'data'), { rows });
      process.stdout.write(
        `Created a feature repo in ${target} with ${rows} rows of example data` +
          `${options.typescript ? ', definitions in TypeScript' : ''}.\n` +
          `Next: trove apply --repo ${dir}\n`,
      );
    });
}
