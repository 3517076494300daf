/**
 * API keys and their scopes. Keys are held only as sha256 digests and compared with
 * timingSafeEqual against every configured key, so neither the answer time nor a memory dump
 * reveals a key, and a lookup costs the same whichever key (if any) matches.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig } from '../config/trove-config.ts';
import { TroveError } from '../errors.ts';

export type Scope = 'read' | 'write' | 'admin';

/** A key that matched: its name (for logs; never the key) and what it may do. */
export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
}

interface StoredKey {
  digest: Buffer;
  principal: Principal;
}

function digestOf(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export class ApiKeySet {
  private readonly keys: StoredKey[];

  private constructor(keys: StoredKey[]) {
    this.keys = keys;
  }

  /**
   * Resolves configured keys; a `keyEnv` names an environment variable holding the key. A key
   * that cannot be resolved stops the server from starting rather than silently locking it.
   */
  static fromConfig(configured: readonly ApiKeyConfig[], env: NodeJS.ProcessEnv): ApiKeySet {
    const keys = configured.map((entry, i): StoredKey => {
      const name = entry.name ?? `key${i + 1}`;
      const key = entry.key ?? (entry.keyEnv !== undefined ? env[entry.keyEnv] : undefined);
      if (key === undefined || key.length === 0) {
        throw new TroveError(
          'API_KEY_MISSING',
          entry.keyEnv !== undefined
            ? `API key ${name}: environment variable ${entry.keyEnv} is not set`
            : `API key ${name}: give key or keyEnv`,
        );
      }
      if (key.length < 16)
        throw new TroveError('API_KEY_WEAK', `API key ${name}: keys need 16 characters or more`);
      return { digest: digestOf(key), principal: { name, scopes: new Set(entry.scopes) } };
    });
    return new ApiKeySet(keys);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The principal of a presented key, or undefined; always compares against every key. */
  authenticate(presented: string): Principal | undefined {
    const digest = digestOf(presented);
    let found: Principal | undefined;
    for (const stored of this.keys) {
      if (timingSafeEqual(stored.digest, digest) && found === undefined) found = stored.principal;
    }
    return found;
  }
}

/** Whether a principal may use a route of the given scope; `admin` grants every scope. */
export function allows(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has(scope) || principal.scopes.has('admin');
}
