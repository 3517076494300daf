/**
 * Who holds a view lock, as the lock's Redis value records it: a random token, the host and pid of
 * the holding process and when it took the lock. The host and pid let a run on the same host tell
 * a holder that was killed (its pid gone) from a live one, and take the lock over at once instead
 * of waiting for it to lapse.
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { processAlive } from '../process-alive.ts';

export interface LockHolder {
  token: string;
  /** `os.hostname()` of the holding process. */
  host: string;
  pid: number;
  /**
   * The holder's pid namespace (`/proc/self/ns/pid`), when it has one: containers that share a
   * host name (host networking, a name set by hand) do not see each other's pids, so a pid absent
   * here proves nothing about a holder in another namespace.
   */
  pidNamespace?: string;
  /** ISO time the lock was taken. */
  started: string;
}

function ownPidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

const PID_NAMESPACE = ownPidNamespace();

/** The holder record of a lock this process takes now. */
export function newLockHolder(token: string): LockHolder {
  return {
    token,
    host: os.hostname(),
    pid: process.pid,
    ...(PID_NAMESPACE === undefined ? {} : { pidNamespace: PID_NAMESPACE }),
    started: new Date().toISOString(),
  };
}

/** The value stored in the lock key. */
export function formatLockHolder(holder: LockHolder): string {
  return JSON.stringify(holder);
}

/**
 * The holder a lock value names, or undefined for a value that names none: a bare token written by
 * an earlier version, or anything else not of this shape. Such a holder is of an unknown host.
 */
export function parseLockHolder(value: string): LockHolder | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { token, host, pid, pidNamespace, started } = parsed as Record<string, unknown>;
  if (
    typeof token !== 'string' ||
    typeof host !== 'string' ||
    typeof started !== 'string' ||
    !Number.isSafeInteger(pid) ||
    (pid as number) <= 0 ||
    (pidNamespace !== undefined && typeof pidNamespace !== 'string')
  )
    return undefined;
  return {
    token,
    host,
    pid: pid as number,
    ...(pidNamespace === undefined ? {} : { pidNamespace }),
    started,
  };
}

/** Whether the holder ran on this host, in this pid namespace, so its pid can be checked here. */
export function onThisHost(holder: LockHolder): boolean {
  return holder.host === os.hostname() && holder.pidNamespace === PID_NAMESPACE;
}

/**
 * Whether the holder is known to be dead: on this host and its pid gone. A reused pid reads as
 * alive, which only means waiting for the lock to lapse, as for a holder elsewhere.
 */
export function holderDead(holder: LockHolder): boolean {
  return onThisHost(holder) && !processAlive(holder.pid);
}

/** The holder for a message: "process 123 on this host since …", or undefined when unknown. */
export function describeHolder(holder: LockHolder | undefined): string | undefined {
  if (!holder) return undefined;
  const where = onThisHost(holder) ? 'this host' : `host ${holder.host}`;
  return `process ${holder.pid} on ${where}, since ${holder.started}`;
}
