/**
 * Samples a process's resident memory on a timer, so a drill can report the baseline, the peak
 * under a fault and what is left afterwards, not just two snapshots that may miss the peak.
 */
import { processRssMb } from './process-rss.ts';

export interface RssSample {
  /** performance.now() of the drill process. */
  at: number;
  mb: number;
}

export class RssSampler {
  readonly samples: RssSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  async sample(): Promise<number> {
    const mb = await processRssMb(this.pid);
    this.samples.push({ at: performance.now(), mb });
    return mb;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The largest sample taken in [from, to). */
  peak(from: number, to: number): number {
    let max = 0;
    for (const s of this.samples) if (s.at >= from && s.at < to) max = Math.max(max, s.mb);
    return max;
  }

  /** The mean of samples taken in [from, to): steadier than one sample against GC's saw-tooth. */
  mean(from: number, to: number): number {
    const inRange = this.samples.filter((s) => s.at >= from && s.at < to);
    if (inRange.length === 0) return Number.NaN;
    return inRange.reduce((sum, s) => sum + s.mb, 0) / inRange.length;
  }
}
