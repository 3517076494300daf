#!/usr/bin/env node
// Entry point of the `trove` command: runs the compiled CLI in dist/ (built by `npm run build`,
// which `npm ci` runs through the prepare script). Starting from JavaScript, not TypeScript, keeps
// each command's start-up to the modules it uses.
import { readdirSync, statSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
const buildInfo = new URL('../dist/.tsbuildinfo', import.meta.url);
const sources = new URL('../src/', import.meta.url);

/** Newest modification time of the sources in a checkout (a few ms), or 0 where there are none. */
function newestSource() {
  let newest = 0;
  try {
    for (const file of readdirSync(sources, { recursive: true })) {
      if (String(file).endsWith('.ts'))
        newest = Math.max(newest, statSync(new URL(String(file), sources)).mtimeMs);
    }
  } catch {
    // No src/: an installed copy, which runs what it shipped.
  }
  return newest;
}

const built = statSync(buildInfo, { throwIfNoEntry: false })?.mtimeMs;
if (built === undefined || statSync(entry, { throwIfNoEntry: false }) === undefined) {
  process.stderr.write(
    'trove: the compiled CLI is missing (dist/); run `npm run build` in the Trove checkout\n',
  );
  process.exit(1);
}
// --quiet keeps stderr for errors.
const quiet = process.argv.includes('--quiet') || process.argv.includes('-q');
if (!quiet && newestSource() > built) {
  process.stderr.write('trove: warning: src/ changed since dist/ was built; run `npm run build`\n');
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
