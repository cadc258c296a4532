// The plan boundary: both sides read the op table from one file, and the C decoder reads back what
// the TypeScript encoder wrote (golden), and survives every truncation and corruption of it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePlan, describePlan, PLAN_OPS, type PlanOp } from '../../../src/runtime/index.js';
import { repoRoot } from '../../helpers/repo.js';

const root = repoRoot();

/** One op of every kind, with edge values: empty and unicode strings, 64-bit flags, negative ints. */
function everyOp(): PlanOp[] {
  const sample: Record<string, unknown> = {
    u: 4294967295, i: -1, q: 0xfedcba9876543210n, s: 'päth "with" \\ quotes\tand\nnewline', b: new Uint8Array([1, 2, 3, 0, 255]),
    v: ['', 'a=b', 'ümlaut'], w: [0, 1, 4294967295],
  };
  return (Object.keys(PLAN_OPS) as (keyof typeof PLAN_OPS)[]).map((name) => {
    const op: Record<string, unknown> = { op: name };
    for (const [field, type] of PLAN_OPS[name].fields) op[field] = sample[type];
    return op as PlanOp;
  });
}

function decoderTool(): string {
  execFileSync('make', ['-s', '-C', join(root, 'native'), 'build/plan-decode-test']);
  return join(root, 'native', 'build', 'plan-decode-test');
}

test('src/runtime/plan-ops.ts is generated from native/include/plan-ops.def', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'gen-plan-ops.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the C decoder reads back exactly what TypeScript encodes, for every op', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-plan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ops = everyOp();
  const file = join(dir, 'plan.bin');
  writeFileSync(file, encodePlan(ops));
  const out = execFileSync(decoderTool(), [file], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  assert.equal(out.trimEnd(), describePlan(ops));
});

test('the C decoder rejects truncated and corrupted plans without crashing (ASan, UBSan)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-plan-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'plan.bin');
  writeFileSync(file, encodePlan(everyOp()));
  const r = spawnSync(decoderTool(), ['--fuzz', file], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  assert.equal(r.status, 0, r.stderr);
  const m = /(\d+) rejected, (\d+) accepted/.exec(r.stdout);
  assert.ok(m, r.stdout);
  // every truncation must be rejected; a corruption may still be a well-formed plan
  assert.ok(Number(m[1]) > encodePlan(everyOp()).length);
});

test('encoding refuses a string with a NUL byte and names the op', () => {
  assert.throws(() => encodePlan([{ op: 'CHDIR', path: 'a\0b' }]), /op 0 \(CHDIR\)\.path: string contains a NUL byte/);
});

test('the framing is SKPL, version 1, op count, then code + length + fields', () => {
  const bytes = encodePlan([{ op: 'UMASK', mask: 0o22 }]);
  assert.deepEqual([...bytes], [
    0x53, 0x4b, 0x50, 0x4c, 1, 0, 1, 0, 0, 0,
    PLAN_OPS.UMASK.code, 0, 4, 0, 0, 0, 0o22, 0, 0, 0,
  ]);
});
