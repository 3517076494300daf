/**
 * The outcome of each view's newest compute, kept in the offline store at
 * `<offlineStorePath>/validation/<view>.json` so that materialization (another process, later) can
 * refuse a view whose newest compute failed its checks, and the server can export it as metrics.
 * Apart from the view's partitions on purpose: a refused compute leaves them byte for byte as they
 * were, and this file is the one thing it writes.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { IDENTIFIER } from '../../definitions/identifier.ts';
import { checkStoreFolder } from '../store-folder.ts';
import type { CheckFailure } from './check-failure.ts';

/** `passed`: every check held; `failed`: nothing was committed; `skipped`: committed unchecked. */
export type ValidationStatus = 'passed' | 'failed' | 'skipped';

const sampleSchema = z.record(z.string(), z.string().nullable());
const failureSchema = z.object({
  feature: z.string().nullable(),
  check: z.enum(['notNull', 'min', 'max', 'allowed', 'maxNullFraction', 'minRows']),
  rule: z.string(),
  partition: z.string().nullable(),
  failing: z.number(),
  rows: z.number(),
  samples: z.array(sampleSchema),
});

const recordSchema = z.object({
  view: z.string(),
  status: z.enum(['passed', 'failed', 'skipped']),
  /** ISO time the newest compute of the view ended. */
  at: z.string(),
  failures: z.array(failureSchema),
  /** Computes of the view ever refused by a check (a counter: never goes down). */
  failedComputes: z.number().int().min(0),
  /** ISO time of the newest compute that committed (passed or skipped), null if none has. */
  lastCommittedAt: z.string().nullable(),
});
export type ValidationRecord = z.infer<typeof recordSchema>;

export function validationFolder(offlineStorePath: string): string {
  return path.join(offlineStorePath, 'validation');
}

function recordPath(offlineStorePath: string, view: string): string {
  return path.join(validationFolder(offlineStorePath), `${view}.json`);
}

/**
 * The record of a view's newest compute, or undefined when none was recorded (no compute since
 * validation existed) or the file is not one Trove wrote.
 */
export async function readValidationRecord(
  offlineStorePath: string,
  view: string,
): Promise<ValidationRecord | undefined> {
  let text: string;
  try {
    text = await readFile(recordPath(offlineStorePath, view), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = recordSchema.safeParse(JSON.parse(text));
    return parsed.success && parsed.data.view === view ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Every view's record, read from one folder listing: cheap enough for each metrics scrape. */
export async function readValidationRecords(offlineStorePath: string): Promise<ValidationRecord[]> {
  const names = await readdir(validationFolder(offlineStorePath)).catch(() => [] as string[]);
  const records: ValidationRecord[] = [];
  for (const name of names.sort()) {
    const view = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
    if (!IDENTIFIER.test(view)) continue;
    const record = await readValidationRecord(offlineStorePath, view);
    if (record) records.push(record);
  }
  return records;
}

/**
 * Records the outcome of a compute of `view`, keeping the counter of refused computes and the
 * time of the newest commit. Call with the view's compute lock held; the file is replaced by
 * rename, so a reader sees the old record or the new one.
 */
export async function recordValidation(
  offlineStorePath: string,
  view: string,
  status: ValidationStatus,
  failures: readonly CheckFailure[],
  now: Date = new Date(),
): Promise<ValidationRecord> {
  const previous = await readValidationRecord(offlineStorePath, view);
  const at = now.toISOString();
  const record: ValidationRecord = {
    view,
    status,
    at,
    failures: [...failures],
    failedComputes: (previous?.failedComputes ?? 0) + (status === 'failed' ? 1 : 0),
    lastCommittedAt: status === 'failed' ? (previous?.lastCommittedAt ?? null) : at,
  };
  const folder = validationFolder(offlineStorePath);
  await checkStoreFolder(offlineStorePath, folder);
  await mkdir(folder, { recursive: true });
  const file = recordPath(offlineStorePath, view);
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
  return record;
}
