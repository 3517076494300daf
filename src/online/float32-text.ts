/**
 * Float32 features are held as JS numbers (doubles), which print with the double's digits:
 * 0.43233299255371094 for a value stored as 0.432333. Printing the shortest decimal that reads back
 * as the same float32 gives what the producer wrote, and a float32 parser recovers the exact value.
 */

const EXACT_INTEGER = 2 ** 24;
// Powers of ten up to 10^22 are exact doubles, so m / 10^k and m * 10^k round once, correctly:
// the candidate equals what parsing the text `${m}e${k}` would give, without making the text.
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** The double nearest m·10^k, or undefined when 10^|k| is not exact. */
function scaled(m: number, k: number): number | undefined {
  if (k >= 0) return k <= 22 ? m * POW10[k]! : undefined;
  return k >= -22 ? m / POW10[-k]! : undefined;
}

function slowText(value: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  return String(Number(value.toPrecision(9)));
}

/**
 * Shortest decimal text that reads back as `value` when rounded to float32 (`value` should be a
 * float32; anything else prints as a double). Nine significant digits always identify a float32,
 * so at most nine candidates are tried, each with arithmetic only; the text is made once.
 */
export function float32Text(value: number): string {
  // Integers below 2^24 are exact in float32 and already print shortest.
  if (Number.isInteger(value) && value > -EXACT_INTEGER && value < EXACT_INTEGER) return String(value);
  if (!Number.isFinite(value) || Math.fround(value) !== value) return String(value);
  const magnitude = Math.abs(value);
  const exponent = Math.floor(Math.log10(magnitude));
  for (let digits = 1; digits <= 9; digits++) {
    const k = exponent - digits + 1;
    const unit = scaled(1, k);
    if (unit === undefined) return slowText(value);
    const m = Math.round(k >= 0 ? magnitude / unit : magnitude * POW10[-k]!);
    const candidate = scaled(m, k)!;
    if (Math.fround(candidate) === magnitude) return String(value < 0 ? -candidate : candidate);
  }
  return slowText(value);
}
