import { z } from 'zod';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;

/**
 * Parses a duration given as seconds (a number) or as a string such as `90s`, `15m`, `12h`, `7d`,
 * `1d12h`. Returns seconds, or undefined when the text is not a duration.
 */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (!WHOLE.test(text)) return undefined;
  let seconds = 0;
  for (const m of text.matchAll(PART)) seconds += Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1);
  return seconds;
}

/** Formats seconds as the shortest duration string (`86400` → `1d`). */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  if (rest > 0) out += `${rest}s`;
  return out;
}

/** What a duration field takes; messages add the value given (see zod-issue-message.ts). */
const EXPECTED_DURATION = 'expected seconds (a non-negative number) or a duration such as 90s, 15m, 12h, 7d';

/** A duration in seconds: a non-negative number, or a string like `7d`. Normalized to seconds. */
export const durationSchema = z
  .union([z.number(), z.string()], { error: EXPECTED_DURATION })
  .transform((value, ctx) => {
    const seconds = parseDuration(value);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: EXPECTED_DURATION });
      return z.NEVER;
    }
    return seconds;
  })
  .meta({ description: 'Seconds, or a duration string such as 90s, 15m, 12h, 7d. 0: no limit.' });
