import { execFile } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'trove.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the process (a crash, or the time limit), or null. */
  signal: NodeJS.Signals | null;
  /** Killed for running past `timeoutMs`. */
  timedOut: boolean;
}

export interface CliOptions {
  /** Kills the command (SIGKILL) once it has run this long; no limit by default. */
  timeoutMs?: number;
}

/** Runs the real `trove` command in a child process, as a user would. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: CliOptions = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { ...process.env, ...env },
        maxBuffer: 64 * 1024 * 1024,
        ...(options.timeoutMs ? { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const signal = (error?.signal ?? null) as NodeJS.Signals | null;
        resolve({ code, stdout, stderr, signal, timedOut: error?.killed === true && signal === 'SIGKILL' });
      },
    );
  });
}
