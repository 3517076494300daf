/**
 * The sha256 of a dataset file taken while its writer appends to it, so that only the bytes written
 * last remain to hash once the file is complete: hashing a 20 MB output after the fact is most of
 * what a manifest adds to the dataset's time. DuckDB's COPY and the Arrow writer both write their
 * file front to back and never go back (Parquet's footer is written last), so the bytes read as
 * the file grows are the bytes it ends with; on Linux an appending write extends the file's size
 * only once its bytes are in place, so a read never sees a part not yet written.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256File } from './fingerprint.ts';

/** How long to wait for more bytes when the reader has caught up with the writer. */
const POLL_MS = 4;
/** Bytes hashed per turn of the event loop, so the hash does not hold the loop for long. */
const SLICE = 1024 * 1024;

export class GrowingFileHash {
  private readonly hash: Hash = createHash('sha256');
  private readonly buffer = Buffer.allocUnsafe(SLICE);
  private fd: number | undefined;
  private position = 0;
  private complete = false;
  private failed = false;
  private readonly running: Promise<void>;

  /** Starts following `file`, which the writer is about to create (or has created) and fill. */
  constructor(private readonly file: string) {
    this.running = this.follow();
    this.running.catch(() => undefined);
  }

  private async follow(): Promise<void> {
    try {
      while (!this.complete) {
        await sleep(POLL_MS);
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

  /** Hashes what the file holds beyond `position`, a slice per call. */
  private readAvailable(): void {
    const n = readSync(this.fd!, this.buffer, 0, SLICE, this.position);
    if (n === 0) return;
    this.hash.update(this.buffer.subarray(0, n));
    this.position += n;
  }

  /**
   * The file is complete and now at `finalPath` (renamed, or the same path): hashes the rest and
   * returns the hex digest. Falls back to hashing `finalPath` whole when following failed or the
   * file's size does not match what was read.
   */
  async digest(finalPath: string): Promise<string> {
    this.complete = true;
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
      if (fstatSync(fd).size !== this.position) return await sha256File(finalPath);
      return this.hash.digest('hex');
    } finally {
      closeSync(fd);
    }
  }

  /** Stops following without a digest (the write failed). */
  async abandon(): Promise<void> {
    this.complete = true;
    await this.running;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
