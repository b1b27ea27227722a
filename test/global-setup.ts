import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/**
 * Builds dist/ once, before any test file runs: the tests that start the bot as its own process (as it runs
 * in production) use the build, and test files run in parallel, so none of them may write it.
 */
export default function buildOnce(): void {
  const root = resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
}
