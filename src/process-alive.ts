/**
 * Whether a process id belongs to a running process, for files that name their owner's pid (the
 * compute lock, DuckDB spill folders): what a killed process left behind can then be taken over or
 * removed instead of standing in the way forever.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
