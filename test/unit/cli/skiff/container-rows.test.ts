// ps and stats rendering (docker's formatter/container.go and stats.go) and the unit parsers of
// run's flags, without a daemon.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStats, ContainerSummary } from '../../../../src/client/index.js';
import { containerRows, cpuPercent, displayablePorts, ellipsis, PS_HEADERS, psFormat, statsRow, STATS_HEADERS } from '../../../../src/cli/skiff/commands/container-ps.js';
import { goDurationNs, parsePorts, ramInBytes } from '../../../../src/cli/skiff/commands/container-opts.js';
import { startErrorStatus } from '../../../../src/cli/skiff/commands/container-run.js';
import { detachKeyBytes, EscapeProxy } from '../../../../src/cli/skiff/commands/container-io.js';
import { renderList } from '../../../../src/cli/skiff/render/list-format.js';

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
const C: ContainerSummary = {
  Id: 'c40ecb37c74c5af961393ca9da212798c6100c6b4461279dddb273576ecd80ad',
  Names: ['/sx'],
  Image: 'bb:1',
  ImageID: 'sha256:cbd046814884197cbaacd50f49a04796bdd597603f56a07394c52906f32ea284',
  Command: 'sleep 30',
  Created: NOW / 1000 - 3,
  Ports: [],
  Labels: {},
  State: 'running',
  Status: 'Up 2 seconds',
};

test('ps table: docker\'s columns, truncation and ages', () => {
  const rows = containerRows([C, { ...C, Id: 'a'.repeat(64), Names: ['/other', '/sx/link'], Command: 'sh -c "echo a very long command line"', Created: NOW / 1000 - 130, Status: 'Exited (0) 2 minutes ago', Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }] }], { trunc: true, nowMs: NOW });
  const out = renderList(psFormat(undefined, false, false), rows, PS_HEADERS);
  assert.equal(out, [
    'CONTAINER ID   IMAGE     COMMAND                   CREATED         STATUS                     PORTS                  NAMES',
    'c40ecb37c74c   bb:1      "sleep 30"                3 seconds ago   Up 2 seconds                                      sx',
    'aaaaaaaaaaaa   bb:1      "sh -c \\"echo a very …"   2 minutes ago   Exited (0) 2 minutes ago   0.0.0.0:8080->80/tcp   other',
    '',
  ].join('\n'));
  assert.equal(renderList(psFormat(undefined, true, false), rows, PS_HEADERS), 'c40ecb37c74c\naaaaaaaaaaaa\n');
  const sized = containerRows([{ ...C, SizeRw: 0, SizeRootFs: 1982256 }], { trunc: true, nowMs: NOW });
  assert.equal(sized[0]!.Size, '0B (virtual 1.98MB)');
  assert.equal(ellipsis('abcdef', 4), 'abc…');
});

test('ports: published, exposed, folded ranges', () => {
  assert.equal(displayablePorts([
    { PrivatePort: 53, Type: 'udp' },
    { IP: '0.0.0.0', PrivatePort: 2000, PublicPort: 1000, Type: 'tcp' },
    { IP: '0.0.0.0', PrivatePort: 2001, PublicPort: 1001, Type: 'tcp' },
    { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
  ]), '53/udp, [::]:8080->80/tcp, 0.0.0.0:1000-1001->2000-2001/tcp');
});

test('stats: CPU % from the delta against precpu, memory without inactive file', () => {
  const s: ContainerStats = {
    read: '', id: C.Id, name: '/sx',
    pids_stats: { current: 3 },
    cpu_stats: { cpu_usage: { total_usage: 300_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 4 },
    precpu_stats: { cpu_usage: { total_usage: 100_000_000 }, system_cpu_usage: 10_000_000_000 },
    memory_stats: { usage: 10 * 1024 * 1024, limit: 1024 * 1024 * 1024, stats: { inactive_file: 2 * 1024 * 1024 } },
    blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'read', value: 4096 }, { major: 8, minor: 0, op: 'write', value: 1_500_000 }] },
    networks: { eth0: { rx_bytes: 1234, tx_bytes: 0 } },
  };
  assert.equal(cpuPercent(s), 8);
  const row = statsRow(s, 'sx');
  assert.deepEqual(row, {
    Container: 'sx', ID: 'c40ecb37c74c', Name: 'sx', CPUPerc: '8.00%', MemUsage: '8MiB / 1GiB', MemPerc: '0.78%',
    NetIO: '1.23kB / 0B', BlockIO: '4.1kB / 1.5MB', PIDs: '3',
  });
  const table = renderList('table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}', [row], STATS_HEADERS);
  assert.equal(table.split('\n')[0], 'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O       BLOCK I/O       PIDS');
});

test('units of run flags and start error statuses', () => {
  assert.equal(ramInBytes('64m', '-m'), 64 * 1024 * 1024);
  assert.equal(ramInBytes('1g', '-m'), 1073741824);
  assert.equal(ramInBytes('512', '-m'), 512);
  assert.equal(goDurationNs('1m30s', '--x'), 90e9);
  assert.equal(goDurationNs('100ms', '--x'), 1e8);
  assert.throws(() => goDurationNs('5', '--health-interval'), /time: invalid duration "5"/);
  assert.deepEqual(parsePorts(['127.0.0.1:8080:80/udp'], []), { exposed: { '80/udp': {} }, bindings: { '80/udp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] } });
  assert.equal(startErrorStatus('exec: "x": executable file not found in $PATH: unknown'), 127);
  assert.equal(startErrorStatus('exec: "/etc": permission denied: unknown'), 126);
  assert.equal(startErrorStatus('cgroup trouble'), 125);
});

test('detach keys: docker\'s key names and the escape proxy', () => {
  assert.deepEqual(detachKeyBytes('ctrl-p,ctrl-q'), [0x10, 0x11]);
  assert.deepEqual(detachKeyBytes('ctrl-@,a,ctrl-['), [0, 0x61, 0x1b]);
  assert.throws(() => detachKeyBytes('ctrl-1'), /Unknown character: 'ctrl-1'/);
  const proxy = new EscapeProxy([0x10, 0x11]);
  assert.deepEqual(proxy.feed(Buffer.from('ab\x10')), { forward: Buffer.from('ab'), detach: false });
  assert.deepEqual(proxy.feed(Buffer.from('c')), { forward: Buffer.from('\x10c'), detach: false });
  assert.deepEqual(proxy.feed(Buffer.from('x\x10')), { forward: Buffer.from('x'), detach: false });
  assert.deepEqual(proxy.feed(Buffer.from('\x11rest')), { forward: Buffer.from(''), detach: true });
});

test('{{json .}} of a list row is HTML-escaped (json.Marshal in MarshalJSON), a field is not', () => {
  const rows = [{ Names: '<a&b>' }];
  assert.equal(renderList('{{json .}}', rows, PS_HEADERS), '{"Names":"\\u003ca\\u0026b\\u003e"}\n');
  assert.equal(renderList('{{json .Names}}', rows, PS_HEADERS), '"<a&b>"\n');
});
