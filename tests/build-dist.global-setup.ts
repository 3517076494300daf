/**
 * Tests run the real `trove` command, which runs the compiled dist/: build it first (incrementally,
 * seconds when little changed), so no test runs code older than the sources beside it. Type errors
 * do not stop the tests (tsc still emits, and the type check reports them on its own): a test run
 * in the middle of a change exercises the code as written.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function buildDist(): void {
  const root = path.resolve(import.meta.dirname, '..');
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  } catch {
    process.stderr.write('dist/ was built with type errors (above); the tests run what tsc emitted\n');
  }
}
