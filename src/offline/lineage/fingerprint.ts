/**
 * Content fingerprints of the files a training dataset read, cheap enough to take for every file on
 * every dataset (docs/lineage.md):
 *
 * - a file of at most FULL_LIMIT bytes is hashed whole;
 * - a larger one by its size, its first and last SAMPLE_EDGE bytes and SAMPLES blocks of
 *   SAMPLE_BLOCK bytes at evenly spaced offsets. A Parquet file ends with its footer (row counts,
 *   per-column statistics, page offsets and sizes), so a rewrite of its data almost always changes
 *   the sampled bytes; an edit that keeps the size and touches none of them goes unnoticed.
 *
 * The modification time is recorded beside the fingerprint but never compared: copying a store or
 * checking out a repo changes it without changing the content.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';

const FULL_LIMIT = 128 * 1024;
const SAMPLE_EDGE = 32 * 1024;
const SAMPLE_BLOCK = 4 * 1024;
const SAMPLES = 8;
/** Read size of whole-file hashes. */
const CHUNK = 4 * 1024 * 1024;

/** A file's identity in a manifest. */
export interface FileFingerprint {
  size: number;
  /** `sha256:<hex>` of the whole file, or `sampled:<hex>` (see above). */
  fingerprint: string;
  mtime: string;
}

/** sha256 of a whole file, read in large chunks into one buffer (no stream per chunk). */
export async function sha256File(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const hash = createHash('sha256');
    // One buffer per file, no larger than the file: allocating 4 MiB for a small file costs more
    // than hashing it.
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, (await handle.stat()).size)));
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** Reused by every fingerprint: each is taken synchronously, so two never share it at once. */
const scratch = Buffer.allocUnsafe(FULL_LIMIT);

/** Reads up to `length` bytes at `offset` into `scratch`, as many as the file holds there. */
function readAt(fd: number, length: number, offset: number): Buffer {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, scratch, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return scratch.subarray(0, done);
}

/** The byte ranges a sampled fingerprint reads, in order. */
function sampledRanges(size: number): [offset: number, length: number][] {
  const ranges: [number, number][] = [[0, SAMPLE_EDGE]];
  const inner = size - 2 * SAMPLE_EDGE;
  for (let i = 1; i <= SAMPLES; i++) {
    ranges.push([SAMPLE_EDGE + Math.floor((inner * i) / (SAMPLES + 1)), SAMPLE_BLOCK]);
  }
  ranges.push([size - SAMPLE_EDGE, SAMPLE_EDGE]);
  return ranges;
}

function fingerprintFileSync(file: string): FileFingerprint {
  // Non-blocking: opening a named pipe given as a source would otherwise wait, holding the event loop.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`cannot fingerprint ${file}: not a regular file`);
    const hash = createHash('sha256');
    let fingerprint: string;
    if (st.size <= FULL_LIMIT) {
      fingerprint = `sha256:${hash.update(readAt(fd, st.size, 0)).digest('hex')}`;
    } else {
      hash.update(`${st.size}\n`);
      for (const [offset, length] of sampledRanges(st.size)) hash.update(readAt(fd, length, offset));
      fingerprint = `sampled:${hash.digest('hex')}`;
    }
    return { size: st.size, fingerprint, mtime: st.mtime.toISOString() };
  } finally {
    closeSync(fd);
  }
}

/**
 * The fingerprint of one file; rejects when it cannot be read. A file's dozen reads are made
 * synchronously, in one turn of the event loop of its own: at most 128 KiB of what is nearly
 * always in the page cache (the files were just listed or written), which takes a fraction of a
 * millisecond, where a read through the thread pool costs more CPU in promise and thread
 * hand-offs than the read itself (4–5× the CPU over a dataset's 90 partition files), CPU that
 * the join running beside it needs.
 */
export async function fingerprintFile(file: string): Promise<FileFingerprint> {
  await nextTurn();
  return fingerprintFileSync(file);
}

/** Whether a file still has a fingerprint: size first, which needs no read. Missing files do not. */
export async function sameFingerprint(file: string, expected: Pick<FileFingerprint, 'size' | 'fingerprint'>) {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile() || st.size !== expected.size) return false;
  const now = await fingerprintFile(file).catch(() => undefined);
  return now?.fingerprint === expected.fingerprint;
}

/** `work` over `items`, at most `limit` at a time, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  });
  await Promise.all(runners);
  return out;
}
