// Runs OCI hooks from the runtime namespace (prestart, createRuntime, poststart, poststop): the
// container's state JSON on stdin, a timeout, errors that name the hook.

import { spawn } from 'node:child_process';
import { SkiffError } from '../base/index.js';
import type { Hook, State } from '../oci/index.js';

export async function runHooks(kind: string, hooks: readonly Hook[] | undefined, state: State): Promise<void> {
  for (const [i, hook] of (hooks ?? []).entries()) {
    await runHook(`hooks.${kind}[${i}]`, hook, state);
  }
}

function runHook(field: string, hook: Hook, state: State): Promise<void> {
  return new Promise((resolve, reject) => {
    const [argv0, ...args] = hook.args ?? [hook.path];
    const child = spawn(hook.path, args, {
      argv0,
      env: Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      stdio: ['pipe', 'inherit', 'inherit'],
      timeout: hook.timeout === undefined ? undefined : hook.timeout * 1000,
      killSignal: 'SIGKILL',
    });
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(state));
    child.on('error', (err) => reject(new SkiffError('FailedPrecondition', `${field}: error running hook ${hook.path}: ${err.message}`, { field, cause: err })));
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve();
      const why = signal === 'SIGKILL' && hook.timeout !== undefined ? 'timeout' : signal ? `signal: ${signal}` : `exit status ${code}`;
      reject(new SkiffError('FailedPrecondition', `${field}: error running hook ${hook.path}: ${why}`, { field }));
    });
  });
}
