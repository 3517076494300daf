/**
 * CPU time from /proc (Linux): of one process, and of the whole machine. A drill that runs long on
 * a shared machine samples both, so a slow stretch can be told apart: the server using its core,
 * or the server starved by other processes.
 */
import { readFile } from 'node:fs/promises';

/** Clock ticks a second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds the machine has spent busy (all cores, everything but idle and I/O wait) so far. */
export async function machineBusySeconds(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const ticks = line.split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return (total - idle) / TICKS_PER_SECOND;
}

/** Processes runnable on the machine right now (running or waiting for a core). */
export async function machineRunnable(): Promise<number> {
  const stat = await readFile('/proc/stat', 'utf8');
  return Number(/^procs_running (\d+)/m.exec(stat)?.[1] ?? Number.NaN);
}

/**
 * Seconds the main thread of a process has waited, runnable, for a core (from /proc/PID/schedstat):
 * how much other processes held it back.
 */
export async function processWaitSeconds(pid: number): Promise<number> {
  const [, waitNs] = (await readFile(`/proc/${pid}/schedstat`, 'utf8')).split(' ');
  return Number(waitNs) / 1e9;
}
