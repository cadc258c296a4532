// docker network create as data: defaults, subnets picked clear of what is taken, and every bad
// field refused with its name; the CIDR arithmetic under it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bigIntToIp, bridgeConflist, cidrsOverlap, firstHost, ipRangeBounds, ipToBigInt, parseCidr, pickSubnet, planNetwork, publicNetwork, type CreatePlanContext } from '../../../src/network/index.js';

const ctx = (over: Partial<CreatePlanContext> = {}): CreatePlanContext => ({
  id: 'a'.repeat(64), created: '2026-12-01T00:00:00Z', taken: [], hostRoutes: [], randomUla: () => 'fd12:3456:789a::/64', ...over,
});

test('CIDR arithmetic: parse, overlap, IPv6 shortest form', () => {
  assert.deepEqual(parseCidr('10.1.2.3/24'), { family: 4, bits: 24, address: ipToBigInt('10.1.2.3'), first: ipToBigInt('10.1.2.0'), last: ipToBigInt('10.1.2.255') });
  assert.equal(parseCidr('10.1.2.3/33'), undefined);
  assert.equal(parseCidr('10.1.2.3'), undefined);
  assert.equal(parseCidr('nonsense/8'), undefined);
  assert.equal(cidrsOverlap('10.0.0.0/8', '10.200.0.0/16'), true);
  assert.equal(cidrsOverlap('10.1.0.0/24', '10.1.1.0/24'), false);
  assert.equal(cidrsOverlap('fd00::/64', '10.0.0.0/8'), false);
  assert.equal(cidrsOverlap('fd00:1::/48', 'fd00:1:0:5::/64'), true);
  assert.equal(bigIntToIp(ipToBigInt('fd00:0:0:0:0:0:0:1'), 6), 'fd00::1');
  assert.equal(bigIntToIp(ipToBigInt('2001:db8:0:0:1:0:0:1'), 6), '2001:db8::1:0:0:1');
  assert.equal(bigIntToIp(ipToBigInt('1:2:3:4:5:6:7:8'), 6), '1:2:3:4:5:6:7:8');
  assert.equal(bigIntToIp(0n, 6), '::');
  assert.equal(firstHost('172.18.0.0/16'), '172.18.0.1');
  assert.equal(firstHost('fd00:5::/64'), 'fd00:5::1');
  assert.deepEqual(ipRangeBounds('10.219.0.128/25'), { start: '10.219.0.129', end: '10.219.0.254' });
});

test('pickSubnet: docker\'s pools in order, skipping what is taken or routed', () => {
  assert.equal(pickSubnet([]), '172.17.0.0/16');
  assert.equal(pickSubnet(['172.17.0.0/16', '172.18.5.0/24']), '172.19.0.0/16');
  assert.equal(pickSubnet(['172.16.0.0/12']), '192.168.0.0/20');
  assert.throws(() => pickSubnet(['172.16.0.0/12', '192.168.0.0/16']), /non-overlapping IPv4 address pool/);
});

test('planNetwork: defaults of a bridge network', () => {
  const n = planNetwork({ Name: 'front' }, ctx({ taken: ['172.17.0.0/16'] }));
  assert.equal(n.Driver, 'bridge');
  assert.equal(n.BridgeName, 'sk-aaaaaaaaaaaa');
  assert.deepEqual(n.IPAM.Config, [{ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' }]);
  assert.equal(n.Internal, false);
  assert.equal('BridgeName' in publicNetwork(n), false, 'the bridge name is not part of inspect');
  const dual = planNetwork({ Name: 'dual', EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.5.0.0/24', IPRange: '10.5.0.64/26', Gateway: '10.5.0.254' }] } }, ctx());
  assert.deepEqual(dual.IPAM.Config, [{ Subnet: '10.5.0.0/24', Gateway: '10.5.0.254', IPRange: '10.5.0.64/26' }, { Subnet: 'fd12:3456:789a::/64', Gateway: 'fd12:3456:789a::1' }]);
  const named = planNetwork({ Name: 'x', Options: { 'com.docker.network.bridge.name': 'br-mine', 'com.docker.network.driver.mtu': '1400' } }, ctx());
  assert.equal(named.BridgeName, 'br-mine');
  const list = bridgeConflist({ name: 'x', bridge: 'br-mine', subnet: '10.5.0.0/24', gateway: '10.5.0.1', ipRange: ipRangeBounds('10.5.0.64/26'), extraRanges: [{ subnet: 'fd00::/64' }], internal: true, ipamDataDir: '/d', mtu: 1400 });
  const bridge = list.plugins[0]!;
  assert.equal(bridge['ipMasq'], false);
  assert.equal(bridge['mtu'], 1400);
  assert.deepEqual((bridge['ipam'] as { ranges: unknown }).ranges, [[{ subnet: '10.5.0.0/24', gateway: '10.5.0.1', rangeStart: '10.5.0.65', rangeEnd: '10.5.0.126' }], [{ subnet: 'fd00::/64' }]]);
  assert.deepEqual((bridge['ipam'] as { routes: unknown }).routes, [], 'an internal network has no default route');
});

test('planNetwork: null fields are Go\'s zero values (docker-py sends every IPAMPool key)', () => {
  const n = planNetwork({ Name: 'py', Driver: null, Scope: null, Labels: null, Options: null,
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.6.0.0/24', IPRange: null, Gateway: null, AuxiliaryAddresses: null }] } }, ctx());
  assert.equal(n.Driver, 'bridge');
  assert.deepEqual(n.IPAM.Config, [{ Subnet: '10.6.0.0/24', Gateway: '10.6.0.1' }]);
});

test('planNetwork: bad requests name the field', () => {
  const bad: [Record<string, unknown>, RegExp, string][] = [
    [{}, /network name is required/, 'Name'],
    [{ Name: 'has space' }, /invalid network name/, 'Name'],
    [{ Name: 'bridge' }, /pre-defined network/, 'Name'],
    [{ Name: 'x', Driver: 'overlay' }, /plugin "overlay" not found/, 'Driver'],
    [{ Name: 'x', Driver: 'host' }, /only one instance of "host" network/, 'Driver'],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.5.0.1/24' }] } }, /it should be 10\.5\.0\.0\/24/, 'IPAM.Config.Subnet'],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.5.0.0/31' }] } }, /too small/, 'IPAM.Config.Subnet'],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: '172.17.3.0/24' }] } }, /Pool overlaps/, 'IPAM.Config[0].Subnet'],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.5.0.0/24', Gateway: '10.6.0.1' }] } }, /no matching subnet for gateway 10\.6\.0\.1/, 'IPAM.Config[0].Gateway'],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: '10.5.0.0/24', IPRange: '10.5.1.0/25' }] } }, /invalid ip range/, 'IPAM.Config[0].IPRange'],
    [{ Name: 'x', IPAM: { Config: [{ Gateway: '10.5.0.1' }] } }, /needs a subnet/, 'IPAM.Config[0].Subnet'],
    [{ Name: 'x', IPAM: { Config: [{ Subnet: 'fd00::/64' }] } }, /needs EnableIPv6/, 'EnableIPv6'],
    [{ Name: 'x', IPAM: { Driver: 'dhcp' } }, /plugin "dhcp" not found/, 'IPAM.Driver'],
    [{ Name: 'x', Internal: 'yes' }, /must be a boolean/, 'Internal'],
    [{ Name: 'x', Labels: { a: 1 } }, /must be a string/, 'Labels.a'],
    [{ Name: 'x', Options: { 'com.docker.network.bridge.name': 'much-too-long-for-linux' } }, /at most 15 characters/, 'Options.com.docker.network.bridge.name'],
    [{ Name: 'x', Options: { 'com.docker.network.driver.mtu': '9' } }, /invalid MTU/, 'Options.com.docker.network.driver.mtu'],
  ];
  for (const [req, message, field] of bad) {
    assert.throws(() => planNetwork(req, ctx({ taken: ['172.17.0.0/16'] })), (err: Error & { field?: string }) => {
      assert.match(err.message, message, JSON.stringify(req));
      assert.equal(err.field, field, JSON.stringify(req));
      return true;
    });
  }
});
