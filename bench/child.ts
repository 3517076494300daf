/**
 * Child side of `measureInChild`: imports a module, times one call of one of its exports, and
 * prints `{ms, cpuMs, maxRssMb, result}` as the last line of stdout.
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
const cpuBefore = process.cpuUsage();
const result = await task(args);
const ms = performance.now() - started;
// CPU time of every thread (DuckDB's too): on a shared machine it varies far less than wall time.
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = (cpu.user + cpu.system) / 1000;
// maxRSS is in kilobytes on Linux and macOS.
const maxRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`\n${JSON.stringify({ ms, cpuMs, maxRssMb, result })}\n`);
process.exit(0);
