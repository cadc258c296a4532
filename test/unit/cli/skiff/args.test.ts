import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseFilters, UsageError, type FlagSpec } from '../../../../src/cli/skiff/args.js';

const SPECS: FlagSpec[] = [
  { name: 'all', short: 'a', kind: 'bool' },
  { name: 'quiet', short: 'q', kind: 'bool' },
  { name: 'format', kind: 'string' },
  { name: 'filter', short: 'f', kind: 'list' },
  { name: 'human', short: 'H', kind: 'bool' },
];

test('long and short flags, values in both forms, interspersed arguments', () => {
  const p = parseArgs(SPECS, ['-aq', 'img', '--format', '{{.ID}}', '-f', 'a=1', '-fb=2', '--filter=c=3', 'more']);
  assert.equal(p.bools.get('all'), true);
  assert.equal(p.bools.get('quiet'), true);
  assert.equal(p.strings.get('format'), '{{.ID}}');
  assert.deepEqual(p.lists.get('filter'), ['a=1', 'b=2', 'c=3']);
  assert.deepEqual(p.args, ['img', 'more']);
});

test('boolean values: --flag=false and -H=false', () => {
  const p = parseArgs(SPECS, ['--all=false', '-H=false']);
  assert.equal(p.bools.get('all'), false);
  assert.equal(p.bools.get('human'), false);
});

test('-- ends the flags; a lone - is an argument', () => {
  const p = parseArgs(SPECS, ['-', '--', '-a', '--format']);
  assert.deepEqual(p.args, ['-', '-a', '--format']);
  assert.equal(p.bools.get('all'), undefined);
});

test('non-interspersed parsing stops at the first argument', () => {
  const p = parseArgs(SPECS, ['-a', 'images', '-q'], { interspersed: false });
  assert.equal(p.bools.get('all'), true);
  assert.equal(p.bools.get('quiet'), undefined);
  assert.deepEqual(p.args, ['images', '-q']);
});

test('errors carry pflag texts', () => {
  assert.throws(() => parseArgs(SPECS, ['--badflag']), (e: unknown) => e instanceof UsageError && e.message === 'unknown flag: --badflag' && e.kind === 'flag');
  assert.throws(() => parseArgs(SPECS, ['-x']), { message: "unknown shorthand flag: 'x' in -x" });
  assert.throws(() => parseArgs(SPECS, ['-aqx']), { message: "unknown shorthand flag: 'x' in -aqx" });
  assert.throws(() => parseArgs(SPECS, ['-f']), { message: "flag needs an argument: 'f' in -f" });
  assert.throws(() => parseArgs(SPECS, ['--format']), { message: 'flag needs an argument: --format' });
  assert.throws(() => parseArgs(SPECS, ['--all=maybe']), /invalid argument "maybe" for "--all" flag/);
});

test('filters: key=value, keys lower-cased, repeated keys collected', () => {
  assert.deepEqual(parseFilters(['dangling=true', 'Reference=bb*', 'reference=cc']), { dangling: ['true'], reference: ['bb*', 'cc'] });
  assert.throws(() => parseFilters(['nokey']), /bad format of filter/);
});
