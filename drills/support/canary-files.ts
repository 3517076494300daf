/**
 * Files outside a repo that hostile inputs aim at, to prove what Trove did not do: read them (their
 * content carries a random token that must never show in any output), change them, or create
 * files beside them (a SQL fragment's `COPY ... TO` target).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

interface Fingerprint {
  sha256: string;
  mtimeMs: number;
  size: number;
}

export class CanaryFiles {
  /** A random word that appears only inside the canary files. */
  readonly token: string;
  private baseline = new Map<string, Fingerprint>();

  private constructor(readonly dir: string) {
    this.token = `CANARY${randomBytes(8).toString('hex').toUpperCase()}`;
  }

  /** A CSV, a Parquet file, a JSON and a YAML file in `dir`, each holding the token. */
  static async create(dir: string): Promise<CanaryFiles> {
    const canaries = new CanaryFiles(dir);
    await mkdir(dir, { recursive: true });
    const t = canaries.token;
    await writeFile(canaries.file('canary.csv'), `${t}_col,event_timestamp\n${t}_value,2024-01-01\n`);
    await writeFile(canaries.file('canary.json'), JSON.stringify({ formatVersion: t, [t]: t }));
    await writeFile(canaries.file('canary.yaml'), `project: ${t}\n${t}: ${t}\n`);
    const instance = await DuckDBInstance.create(':memory:');
    try {
      const connection = await instance.connect();
      await connection.run(
        `COPY (SELECT 1001::BIGINT AS driver_id, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS event_timestamp,
                NULL::TIMESTAMPTZ AS created_timestamp, '${t}' AS conv_rate, '${t}' AS "${t}")
         TO '${canaries.file('canary.parquet')}' (FORMAT parquet)`,
      );
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
    await canaries.snapshot();
    return canaries;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /**
   * Writes another file beside the canaries (a folder a planted link points at, a victim a
   * planted journal names) and takes it into the baseline: it too must stay as it is.
   */
  async plant(name: string, content: string | Uint8Array): Promise<string> {
    const file = this.file(name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    const fingerprint = (await this.fingerprints()).get(file);
    if (fingerprint) this.baseline.set(file, fingerprint);
    return file;
  }

  private async fingerprints(): Promise<Map<string, Fingerprint>> {
    const out = new Map<string, Fingerprint>();
    for (const entry of await readdir(this.dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const st = await stat(file);
      const sha256 = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
      out.set(file, { sha256, mtimeMs: st.mtimeMs, size: st.size });
    }
    return out;
  }

  private async snapshot(): Promise<void> {
    this.baseline = await this.fingerprints();
  }

  /** Files changed (content or mtime) and files created in the canary folder since it was made. */
  async changes(): Promise<{ modified: string[]; created: string[]; removed: string[] }> {
    const now = await this.fingerprints();
    const modified: string[] = [];
    const created: string[] = [];
    for (const [file, fp] of now) {
      const before = this.baseline.get(file);
      if (!before) created.push(file);
      else if (before.sha256 !== fp.sha256 || before.mtimeMs !== fp.mtimeMs) modified.push(file);
    }
    const removed = [...this.baseline.keys()].filter((f) => !now.has(f));
    return { modified, created, removed };
  }

  /** Whether `text` quotes any canary's content. */
  leaksInto(text: string): boolean {
    return text.includes(this.token);
  }
}
