// Writes schema/*.schema.json from the zod schemas. With --check, writes nothing and exits 1 when
// a committed schema is stale, so CI catches a schema change without its JSON Schema.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonSchemas } from '../src/definitions/json-schemas.ts';

const check = process.argv.includes('--check');
const dir = path.resolve(import.meta.dirname, '..', 'schema');
let stale = 0;
for (const [file, schema] of Object.entries(jsonSchemas())) {
  const target = path.join(dir, file);
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current === text) continue;
  if (check) {
    process.stderr.write(`schema/${file} is stale: run npm run schema and commit it\n`);
    stale++;
  } else {
    await writeFile(target, text);
    process.stdout.write(`wrote schema/${file}\n`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
