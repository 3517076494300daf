/**
 * CPU time of an HTTP benchmark's server child (http-server-child.ts), read from /proc on Linux.
 * The CPU time a load costs the servers varies far less than their req/s on a machine shared with
 * other work, so it tells the cost per request even when throughput is noisy.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process times in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The pid of this process's child started with `script` as an argument. */
function childPid(script: string): number | null {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  for (const task of tasks) {
    for (const pid of (read(`/proc/self/task/${task}/children`) ?? '').split(' ').filter(Boolean)) {
      if ((read(`/proc/${pid}/cmdline`) ?? '').split('\0').includes(script)) return Number(pid);
    }
  }
  return null;
}

/**
 * A reader of the user + system CPU time (ms) the child running `script` has used so far; null
 * where there is no /proc (the CPU figures are then left out).
 */
export function childCpuMs(script: string): (() => number) | null {
  const pid = childPid(script);
  if (pid === null) return null;
  return () => {
    const stat = read(`/proc/${pid}/stat`);
    if (stat === null) throw new Error(`benchmark servers (pid ${pid}) are gone`);
    // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  };
}
