/**
 * API keys and the ways a client can present them, right and wrong: random keys, keys one
 * character or one length away from a real one, headers the server must not read a key from, the
 * forms it documents, and the strings whose presence in a log would give a key away.
 */
import { createHash, randomBytes } from 'node:crypto';

export type Header = readonly [string, string];

/** A labelled set of request headers. */
export interface HeaderForm {
  what: string;
  headers: Header[];
}

/** A random key of 32 characters; base64url, so it never holds the `:` and `,` of TROVE_API_KEYS. */
export function newKey(): string {
  for (;;) {
    const key = randomBytes(24).toString('base64url');
    // Letters of both cases, so a change of case makes a different key.
    if (/[a-z]/.test(key) && /[A-Z]/.test(key)) return key;
  }
}

export const bearer = (key: string): Header => ['Authorization', `Bearer ${key}`];
export const apiKeyHeader = (key: string): Header => ['X-API-Key', key];

/** Keys one character or one length away from `key`: none may be taken for it. */
export function nearMisses(key: string): string[] {
  const flip = (c: string): string => (c === 'A' ? 'B' : 'A');
  const at = (i: number): string => key.slice(0, i) + flip(key[i]!) + key.slice(i + 1);
  const swapCase = key.replace(/[a-zA-Z]/, (c) =>
    c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase(),
  );
  return [
    at(0),
    at(key.length >> 1),
    at(key.length - 1),
    `${key}x`,
    key.slice(0, -1),
    key.slice(1),
    key.slice(0, 16),
    key + key,
    swapCase,
    key.toUpperCase(),
  ];
}

/** Headers that carry `key` in a form the server must not accept, or carry no key at all. */
export function malformedForms(key: string): HeaderForm[] {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');
  return [
    { what: 'no key', headers: [] },
    { what: 'Bearer without a key', headers: [['Authorization', 'Bearer']] },
    { what: 'Bearer and spaces', headers: [['Authorization', 'Bearer    ']] },
    { what: 'key without a scheme', headers: [['Authorization', key]] },
    { what: 'Basic with the key', headers: [['Authorization', `Basic ${b64(key)}`]] },
    { what: 'Basic user:key', headers: [['Authorization', `Basic ${b64(`user:${key}`)}`]] },
    { what: 'Token scheme', headers: [['Authorization', `Token ${key}`]] },
    { what: 'quoted key', headers: [['Authorization', `Bearer "${key}"`]] },
    { what: 'scheme glued to the key', headers: [['Authorization', `Bearer${key}`]] },
    { what: 'key and a second word', headers: [['Authorization', `Bearer ${key} extra`]] },
    { what: 'key twice', headers: [['Authorization', `Bearer ${key} ${key}`]] },
    { what: 'key and a comma', headers: [['Authorization', `Bearer ${key},`]] },
    { what: 'empty X-API-Key', headers: [['X-API-Key', '']] },
    { what: 'X-API-Key with a scheme', headers: [['X-API-Key', `Bearer ${key}`]] },
    { what: 'key in another header', headers: [['X-Api-Token', key]] },
    { what: 'key in a cookie', headers: [['Cookie', `api_key=${key}`]] },
    { what: 'two Authorization headers, the first wrong', headers: [bearer(newKey()), bearer(key)] },
    {
      what: 'two X-API-Key headers, the first wrong',
      headers: [apiKeyHeader(newKey()), apiKeyHeader(key)],
    },
    { what: 'non-ASCII byte after the key', headers: [['Authorization', `Bearer ${key}\u00e9`]] },
  ];
}

/** Every form of presenting `key` the server documents, with the variations HTTP allows in them. */
export function acceptedForms(key: string): HeaderForm[] {
  return [
    { what: 'Bearer', headers: [bearer(key)] },
    { what: 'bearer in lower case', headers: [['authorization', `bearer ${key}`]] },
    { what: 'BEARER in upper case', headers: [['AUTHORIZATION', `BEARER ${key}`]] },
    { what: 'Bearer and several spaces', headers: [['Authorization', `Bearer    ${key}`]] },
    { what: 'Bearer and a tab', headers: [['Authorization', `Bearer\t${key}`]] },
    { what: 'X-API-Key', headers: [apiKeyHeader(key)] },
    { what: 'x-api-key in lower case', headers: [['x-api-key', key]] },
    { what: 'X-API-Key with spaces around', headers: [['X-API-Key', `  ${key}  `]] },
  ];
}

/**
 * Strings whose presence in a log or an answer gives `key` away: the key, its base64, hex, digest,
 * reversal, Basic credentials, and any 12 characters of it (a near miss or a cut copy) as text and
 * as a JSON byte array (how a logged Buffer looks).
 */
export function leakNeedles(key: string): string[] {
  const bytes = Buffer.from(key);
  const needles = [
    key,
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    encodeURIComponent(key),
    [...key].reverse().join(''),
    createHash('sha256').update(key).digest('hex'),
    Buffer.from(`user:${key}`).toString('base64').replace(/=+$/, ''),
  ];
  for (let i = 0; i + 12 <= key.length; i++) {
    needles.push(key.slice(i, i + 12));
    needles.push([...bytes.subarray(i, i + 12)].join(','));
  }
  return needles;
}
