/**
 * A JSON parser that keeps every digit of large integers: an integer literal outside the safe range
 * of JS numbers becomes a bigint, so int64 join keys and pushed values are never rounded. It also
 * bounds nesting depth and refuses `__proto__` keys, so a request body cannot exhaust the stack or
 * reach object prototypes.
 */
import { TroveError } from '../errors.ts';

export interface LosslessJsonOptions {
  /** Deepest allowed nesting of arrays and objects. */
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 64;

/** A body that is not JSON, reported with the offset where parsing stopped. */
export class JsonSyntaxError extends TroveError {
  constructor(message: string, offset: number) {
    super('MALFORMED_JSON', `request body is not valid JSON: ${message} at offset ${offset}`, 400);
    this.name = 'JsonSyntaxError';
  }
}

// Character codes used by the scanner.
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;

/**
 * Longest integer literal read (Python's json has the same default): int64 needs 19 digits, and a
 * longer one is refused before it costs a slow bigint conversion.
 */
const MAX_INTEGER_DIGITS = 4300;

function skipDigits(text: string, from: number): number {
  let pos = from;
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c < ZERO || c > NINE || Number.isNaN(c)) return pos;
    pos++;
  }
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): unknown {
    this.skipSpace();
    if (this.pos >= this.text.length) throw new JsonSyntaxError('empty body', this.pos);
    const value = this.parseValue();
    this.skipSpace();
    if (this.pos < this.text.length) throw this.fail('unexpected data after the value');
    return value;
  }

  private fail(message: string): JsonSyntaxError {
    return new JsonSyntaxError(message, this.pos);
  }

  private skipSpace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 32 || c === 10 || c === 13 || c === 9) pos++;
      else break;
    }
    this.pos = pos;
  }

  private parseValue(): unknown {
    const c = this.text.charCodeAt(this.pos);
    if (c === QUOTE) return this.parseString();
    if (c === LBRACE) return this.parseObject();
    if (c === LBRACKET) return this.parseArray();
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.parseNumber();
    if (this.text.startsWith('true', this.pos)) {
      this.pos += 4;
      return true;
    }
    if (this.text.startsWith('false', this.pos)) {
      this.pos += 5;
      return false;
    }
    if (this.text.startsWith('null', this.pos)) {
      this.pos += 4;
      return null;
    }
    if (Number.isNaN(c)) throw this.fail('unexpected end of input');
    throw this.fail(`unexpected character ${JSON.stringify(this.text[this.pos])}`);
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) throw this.fail(`nesting deeper than ${this.maxDepth} levels`);
  }

  private parseObject(): Record<string, unknown> {
    this.enter();
    this.pos++;
    const out: Record<string, unknown> = {};
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === RBRACE) {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== QUOTE) throw this.fail('expected a property name');
      const key = this.parseString();
      if (key === '__proto__') throw this.fail('the property name __proto__ is not allowed');
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== COLON) throw this.fail('expected ":"');
      this.pos++;
      this.skipSpace();
      out[key] = this.parseValue();
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === COMMA) {
        this.skipSpace();
        continue;
      }
      if (c === RBRACE) break;
      this.pos--;
      throw this.fail('expected "," or "}"');
    }
    this.depth--;
    return out;
  }

  private parseArray(): unknown[] {
    this.enter();
    this.pos++;
    const out: unknown[] = [];
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === RBRACKET) {
      this.pos++;
      this.depth--;
      return out;
    }
    for (;;) {
      out.push(this.parseValue());
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === COMMA) {
        this.skipSpace();
        continue;
      }
      if (c === RBRACKET) break;
      this.pos--;
      throw this.fail('expected "," or "]"');
    }
    this.depth--;
    return out;
  }

  private parseString(): string {
    const text = this.text;
    const start = ++this.pos;
    let pos = start;
    // Fast path: no escapes, so the string is a slice of the input.
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) {
        this.pos = pos + 1;
        return text.slice(start, pos);
      }
      if (c === BACKSLASH || c < 32 || Number.isNaN(c)) break;
      pos++;
    }
    // Slow path: find the closing quote and let JSON.parse decode escapes and check them.
    for (;;) {
      const c = text.charCodeAt(pos);
      if (Number.isNaN(c)) {
        this.pos = pos;
        throw this.fail('unterminated string');
      }
      if (c < 32) {
        this.pos = pos;
        throw this.fail('control character in string');
      }
      if (c === BACKSLASH) pos += 2;
      else if (c === QUOTE) break;
      else pos++;
    }
    const raw = text.slice(start - 1, pos + 1);
    try {
      const decoded = JSON.parse(raw) as string;
      this.pos = pos + 1;
      return decoded;
    } catch {
      this.pos = start;
      throw this.fail('invalid escape in string');
    }
  }

  private parseNumber(): number | bigint {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === MINUS) pos++;
    const intStart = pos;
    let c = text.charCodeAt(pos);
    if (c === ZERO) pos++;
    else if (c >= ZERO + 1 && c <= NINE) {
      pos = skipDigits(text, pos);
    } else {
      this.pos = pos;
      throw this.fail('expected a digit');
    }
    const intDigits = pos - intStart;
    let integer = true;
    if (text.charCodeAt(pos) === DOT) {
      integer = false;
      pos++;
      const fracStart = pos;
      pos = skipDigits(text, pos);
      if (pos === fracStart) {
        this.pos = pos;
        throw this.fail('expected a digit after "."');
      }
    }
    c = text.charCodeAt(pos);
    if (c === LOWER_E || c === UPPER_E) {
      integer = false;
      pos++;
      c = text.charCodeAt(pos);
      if (c === PLUS || c === MINUS) pos++;
      const expStart = pos;
      pos = skipDigits(text, pos);
      if (pos === expStart) {
        this.pos = pos;
        throw this.fail('expected a digit in the exponent');
      }
    }
    this.pos = pos;
    if (integer && intDigits > MAX_INTEGER_DIGITS) {
      // Converting a megabyte of digits to a bigint takes the event loop for about a second.
      this.pos = intStart;
      throw this.fail(`an integer of ${intDigits} digits; at most ${MAX_INTEGER_DIGITS} are read`);
    }
    const token = text.slice(start, pos);
    // 15 digits always fit a double exactly; longer integers are checked against the safe range.
    if (integer && intDigits > 15) {
      const big = BigInt(token);
      if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) return big;
      return Number(big);
    }
    return Number(token);
  }
}

/** Parses JSON text; integers beyond ±(2^53 − 1) come back as bigint. */
export function parseLosslessJson(text: string, options: LosslessJsonOptions = {}): unknown {
  return new Parser(text, options.maxDepth ?? DEFAULT_MAX_DEPTH).parseDocument();
}
