/**
 * A small tmpfs mounted over a folder (needs root), for drills that fill a disk: the offline store
 * on a filesystem of a few MB fills in seconds without touching the machine's real disk. Always
 * `unmount()` in a finally.
 */
import { execFile } from 'node:child_process';
import { mkdir, statfs } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class TmpfsMount {
  private constructor(readonly dir: string) {}

  static async mount(dir: string, sizeMb: number): Promise<TmpfsMount> {
    await mkdir(dir, { recursive: true });
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]);
    return new TmpfsMount(dir);
  }

  /** Bytes free for writing. */
  async freeBytes(): Promise<number> {
    const s = await statfs(this.dir);
    return s.bavail * s.bsize;
  }

  /** Unmounts; lazily if something still holds a file open, so the folder is always freed. */
  async unmount(): Promise<void> {
    try {
      await run('umount', [this.dir]);
    } catch {
      await run('umount', ['-l', this.dir]);
    }
  }
}
