#!/usr/bin/env node
// Entry point of the `trove` command: runs the compiled CLI in dist/ (built by `npm run build`,
// which `npm ci` runs through the prepare script). Starting from JavaScript, not TypeScript, keeps
// each command's start-up to the modules it uses.
import { access } from 'node:fs/promises';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
try {
  await access(entry);
} catch {
  process.stderr.write(
    'trove: the compiled CLI is missing (dist/); run `npm run build` in the Trove checkout\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
