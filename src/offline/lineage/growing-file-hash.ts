/**
 * The sha256 of a dataset file taken while its writer appends to it, so that only the bytes written
 * last remain to hash once the file is complete: hashing a 20 MB output after the fact is most of
 * what a manifest adds to the dataset's time. DuckDB's COPY and the Arrow writer both write their
 * file front to back and never go back (Parquet's footer is written last), so the bytes read as
 * the file grows are the bytes it ends with; on Linux an appending write extends the file's size
 * only once its bytes are in place, so a read never sees a part not yet written.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256File } from './fingerprint.ts';

/**
 * How long to wait for more bytes once the reader has caught up with the writer: DuckDB writes a
 * dataset at 10–20 MB/s, so each wake-up finds a few hundred KiB; waking more often only adds
 * turns of the event loop beside the join.
 */
const POLL_MS = 16;
/** Bytes read at once; a turn of the event loop reads at most MAX_SLICES of them. */
const SLICE = 1024 * 1024;
const MAX_SLICES = 4;

/** Follows one file as it is written; `digest` once it is complete, or `abandon`. */
export class GrowingFileHash {
  private readonly hash: Hash = createHash('sha256');
  private readonly buffer = Buffer.allocUnsafe(SLICE);
  private fd: number | undefined;
  private position = 0;
  /** Aborted once the file is complete, waking a follower asleep between reads. */
  private readonly stop = new AbortController();
  private failed = false;
  private readonly running: Promise<void>;

  /** Starts following `file`, which the writer is about to create (or has created) and fill. */
  constructor(private readonly file: string) {
    this.running = this.follow();
    this.running.catch(() => undefined);
  }

  private async follow(): Promise<void> {
    try {
      while (!this.stop.signal.aborted) {
        const woken = await sleep(POLL_MS, true, { signal: this.stop.signal }).catch(() => false);
        if (!woken) break;
        this.fd ??= this.tryOpen();
        if (this.fd !== undefined) this.readAvailable();
      }
    } catch {
      this.failed = true;
    }
  }

  private tryOpen(): number | undefined {
    try {
      return openSync(this.file, constants.O_RDONLY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Hashes what the file holds beyond `position`, up to MAX_SLICES slices per call. */
  private readAvailable(): void {
    for (let i = 0; i < MAX_SLICES; i++) {
      const n = readSync(this.fd!, this.buffer, 0, SLICE, this.position);
      if (n === 0) return;
      this.hash.update(this.buffer.subarray(0, n));
      this.position += n;
      if (n < SLICE) return;
    }
  }

  /**
   * The file is complete and now at `finalPath` (renamed, or the same path): hashes the rest and
   * returns the hex digest. Falls back to hashing `finalPath` whole when following failed, when
   * `finalPath` is not the file followed (a writer that replaced it), or when its size does not
   * match what was read.
   */
  async digest(finalPath: string): Promise<string> {
    this.stop.abort();
    await this.running;
    const fd = this.fd;
    if (fd === undefined || this.failed) {
      if (fd !== undefined) closeSync(fd);
      return sha256File(finalPath);
    }
    try {
      for (;;) {
        const n = readSync(fd, this.buffer, 0, SLICE, this.position);
        if (n === 0) break;
        this.hash.update(this.buffer.subarray(0, n));
        this.position += n;
      }
      const followed = fstatSync(fd);
      const final = statSync(finalPath);
      if (followed.ino !== final.ino || followed.dev !== final.dev || final.size !== this.position)
        return await sha256File(finalPath);
      return this.hash.digest('hex');
    } finally {
      closeSync(fd);
    }
  }

  /** Stops following without a digest (the write failed). */
  async abandon(): Promise<void> {
    this.stop.abort();
    await this.running;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
