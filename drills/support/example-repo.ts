/**
 * The bundled ride-hailing example as a feature repo in a drill's folder: its definitions, data of
 * a chosen size and seed, the trove.yaml settings a drill needs, and its registry applied. One seed
 * always gives the same data, so a drill can tell an old compute's rows from a new one's. The data
 * is made free of exact ties (two rows of one key with the same event and created time), for which
 * the point-in-time join may pick either row: with them a training dataset has no single right
 * answer to compare with.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { type ExampleDataOptions, generateExampleData } from '../../src/example/generate-example-data.ts';
import { runCli } from '../../tests/helpers/run-cli.ts';
import { copyExampleRepo, makeTempRepo } from '../../tests/helpers/temp-repo.ts';

/** The example's feature views, in the order compute runs them. */
export const EXAMPLE_VIEWS = ['customer_profile', 'driver_customer_trips', 'driver_hourly_stats'];

/** trove.yaml settings, merged section by section over the example's. */
export type RepoSettings = Record<string, Record<string, unknown>>;

export async function makeExampleRepo(
  dir: string,
  data: ExampleDataOptions & { rows: number },
  settings: RepoSettings = {},
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const repo = await makeTempRepo(dir);
  await copyExampleRepo(repo, data.rows, data.end, data.seed);
  await removeExactTies(path.join(dir, 'data'));
  const file = path.join(dir, 'trove.yaml');
  const config = YAML.parse(await readFile(file, 'utf8')) as RepoSettings;
  for (const [section, values] of Object.entries(settings))
    config[section] = { ...config[section], ...values };
  await writeFile(file, YAML.stringify(config));
  const applied = await runCli(['apply', '--repo', dir], env);
  if (applied.code !== 0) throw new Error(`trove apply failed: ${applied.stderr}`);
  return dir;
}

/** Writes the example's source data (without exact ties) into a folder, e.g. a repo's `data`. */
export async function writeExampleData(dataDir: string, data: ExampleDataOptions): Promise<void> {
  await generateExampleData(dataDir, data);
  await removeExactTies(dataDir);
}

/** Each source file's key and time columns; rows that share them are all dropped. */
const TIE_KEYS: Record<string, string> = {
  driver_stats: 'driver_id, event_timestamp, created',
  customer_profile: 'customer_id, event_timestamp, created',
  trips: 'driver_id, customer_id, event_timestamp',
};

async function removeExactTies(dataDir: string): Promise<void> {
  const { instance, connection } = await openDuckDb({ threads: 2, access: 'unrestricted' });
  try {
    for (const [name, keys] of Object.entries(TIE_KEYS)) {
      const file = path.join(dataDir, `${name}.parquet`);
      await connection.run(
        `COPY (SELECT * FROM read_parquet(${quoteString(file)})
               QUALIFY count(*) OVER (PARTITION BY ${keys}) = 1 ORDER BY event_timestamp)
         TO ${quoteString(`${file}.tmp`)} (FORMAT parquet)`,
      );
      await rename(`${file}.tmp`, file);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
