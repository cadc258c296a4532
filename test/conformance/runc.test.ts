// The conformance suite against runc, the reference: every case here must pass, or the case is wrong.
import { existsSync } from 'node:fs';
import { runtimeSuite } from './runtime-suite.js';

const RUNC = '/usr/sbin/runc';

function skipReason(): string | undefined {
  if (!existsSync(RUNC)) return `runc not installed at ${RUNC}`;
  if (process.getuid?.() !== 0) return 'the runtime conformance suite needs root';
  return undefined;
}

runtimeSuite('runc', RUNC, { skip: skipReason() });
