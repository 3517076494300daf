/**
 * CPU use over the windows of a long drill: of the server, of the drill process (the load
 * generator), of the whole machine, how many processes were runnable, and how long the server's
 * main thread waited for a core. On a shared machine a slow window is then explained: the server
 * working harder per request (its fault), or the server waiting while other processes run.
 */
import { machineBusySeconds, machineRunnable, processCpuSeconds, processWaitSeconds } from './cpu-usage.ts';

interface CpuMark {
  at: number;
  /** CPU seconds so far: of the server, of this process, of the machine (all cores). */
  server: number;
  self: number;
  machine: number;
  /** Seconds the server's main thread has waited for a core so far. */
  serverWait: number;
}

export interface CpuWindow {
  from: number;
  to: number;
  /** Cores used on average. */
  serverCores: number;
  selfCores: number;
  machineCores: number;
  serverCpuSeconds: number;
  /** Milliseconds a second the server's main thread spent runnable but waiting for a core. */
  serverWaitMsPerSecond: number;
  /** Mean number of runnable processes on the machine (two cores). */
  runnable: number;
}

export class CpuWindows {
  private readonly marks: CpuMark[] = [];
  private runnable: number[] = [];
  private readonly runnableMeans: number[] = [];

  constructor(private readonly serverPid: number) {}

  /** Closes the current window (and opens the next) now. */
  async mark(): Promise<void> {
    const [server, machine, serverWait] = await Promise.all([
      processCpuSeconds(this.serverPid),
      machineBusySeconds(),
      processWaitSeconds(this.serverPid),
    ]);
    const self = process.cpuUsage();
    if (this.marks.length > 0) {
      this.runnableMeans.push(this.runnable.reduce((a, b) => a + b, 0) / Math.max(1, this.runnable.length));
      this.runnable = [];
    }
    this.marks.push({
      at: performance.now(),
      server,
      self: (self.user + self.system) / 1e6,
      machine,
      serverWait,
    });
  }

  /** When the last window was closed (performance.now()), or NaN before the first mark. */
  get lastMark(): number {
    return this.marks.at(-1)?.at ?? Number.NaN;
  }

  /** Adds a sample of the machine's runnable processes to the current window (call often). */
  async sampleRunnable(): Promise<void> {
    this.runnable.push(await machineRunnable());
  }

  windows(): CpuWindow[] {
    return this.marks.slice(1).map((b, i) => {
      const a = this.marks[i]!;
      const s = (b.at - a.at) / 1000;
      return {
        from: a.at,
        to: b.at,
        serverCores: (b.server - a.server) / s,
        selfCores: (b.self - a.self) / s,
        machineCores: (b.machine - a.machine) / s,
        serverCpuSeconds: b.server - a.server,
        serverWaitMsPerSecond: ((b.serverWait - a.serverWait) * 1000) / s,
        runnable: this.runnableMeans[i] ?? Number.NaN,
      };
    });
  }
}

/**
 * A window in a few figures: cores used by the server / the load generator / the machine, the
 * processes runnable, and how long the server waited for a core (ms a second).
 */
export function describeCpuWindow(w: CpuWindow): string {
  return `${w.serverCores.toFixed(2)}/${w.selfCores.toFixed(2)}/${w.machineCores.toFixed(2)} cores, ${w.runnable.toFixed(1)} runnable, server waited ${Math.round(w.serverWaitMsPerSecond)} ms/s`;
}
