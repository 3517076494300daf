import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../helpers/temp-repo.ts';

interface ComposeFile {
  services: Record<
    string,
    { image?: string; build?: unknown; command?: unknown; entrypoint?: string[]; ports?: string[] }
  >;
}

describe('docker-compose.yml', () => {
  it('parses and defines Redis, the API and the materializer', async () => {
    const compose = YAML.parse(
      await readFile(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'),
    ) as ComposeFile;
    const redis = compose.services.redis;
    expect(redis?.image).toMatch(/^redis:7/);
    expect(redis?.ports).toContain('6379:6379');
    expect(compose.services.api?.command).toContain('serve');
    expect(compose.services.materializer?.build).toBe('.');
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image ?? service.build, `service ${name} needs an image or a build`).toBeTruthy();
    }
    // The image runs compiled JavaScript: the worker's entry point is a file the build makes.
    const [node, entry] = compose.services.materializer?.entrypoint ?? [];
    expect(node).toBe('node');
    await access(path.join(PROJECT_ROOT, entry ?? '(none)'));
  });
});
