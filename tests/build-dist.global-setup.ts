/**
 * Tests run the real `trove` command, which runs the compiled dist/: build it first (incrementally,
 * seconds when little changed), so no test runs code older than the sources beside it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function buildDist(): void {
  const root = path.resolve(import.meta.dirname, '..');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
}
