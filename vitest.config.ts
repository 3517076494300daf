import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Feature repos import 'trove'; in tests that is these sources, not the compiled dist/.
  resolve: { alias: { trove: path.resolve(import.meta.dirname, 'src', 'index.ts') } },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/build-dist.global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
