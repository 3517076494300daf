/**
 * Child side of `measureInChild`: imports a module, times one call of one of its exports, and
 * prints `{ms, maxRssMb, result}` as the last line of stdout.
 */
import { pathToFileURL } from 'node:url';

const [modulePath, fn, argsJson] = process.argv.slice(2);
if (!modulePath || !fn) throw new Error('usage: child.ts MODULE EXPORT ARGS_JSON');
const mod = (await import(pathToFileURL(modulePath).href)) as Record<
  string,
  (args: unknown) => Promise<unknown>
>;
const task = mod[fn];
if (typeof task !== 'function') throw new Error(`${modulePath} has no export ${fn}`);
const args: unknown = JSON.parse(argsJson ?? 'null');
const started = performance.now();
const result = await task(args);
const ms = performance.now() - started;
// maxRSS is in kilobytes on Linux and macOS.
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`\n${JSON.stringify({ ms, maxRssMb, result })}\n`);
process.exit(0);
