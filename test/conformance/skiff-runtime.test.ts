// The conformance suite against skiff-runtime (the same cases as against runc). SKIFF_CONFORMANCE=0 turns it off.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeSuite } from './runtime-suite.js';

/** The repo checkout, found upwards from this module (it runs from dist/test/conformance). */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${import.meta.url}`);
    dir = parent;
  }
  return dir;
}

const SKIFF_RUNTIME = path.join(repoRoot(), 'bin/skiff-runtime');

function skipReason(): string | undefined {
  if (process.env.SKIFF_CONFORMANCE === '0') return 'skiff-runtime suite turned off by SKIFF_CONFORMANCE=0';
  if (!existsSync(SKIFF_RUNTIME)) return `skiff-runtime not found at ${SKIFF_RUNTIME}`;
  if (process.getuid?.() !== 0) return 'the runtime conformance suite needs root';
  return undefined;
}

runtimeSuite('skiff-runtime', SKIFF_RUNTIME, { skip: skipReason() });
