// The conflist of a docker-style bridge network, built from Debian's containernetworking-plugins:
// bridge (veth pair into the container, the host side on the bridge, gateway address on the
// bridge, hairpin so a container reaches its own published ports), host-local IPAM with its leases
// under Skiff's data root, portmap for published ports (with SNAT so 127.0.0.1 works). With
// `perContainerRules` (the default, for a conflist used alone) the bridge plugin masquerades each
// container's address and the firewall plugin lets its traffic through a FORWARD policy of DROP;
// skiffd turns both off and keeps one set of rules per network instead (network/bridge-rules.ts),
// which saves a bridged `run --rm` the deletion of those rules. [pure]

import type { NetworkConfigList } from './types.js';

export interface BridgeNetwork {
  /** Network name: the conflist name and the key of its cached results. */
  name: string;
  /** Linux bridge name (≤ 15 characters). */
  bridge: string;
  subnet: string;
  gateway?: string | undefined;
  /** docker's --ip-range: addresses are handed out from here only. */
  ipRange?: { start: string; end: string } | undefined;
  /** More ranges on the same interface: an IPv6 subnet of a dual-stack network. */
  extraRanges?: { subnet: string; gateway?: string; ipRange?: { start: string; end: string } }[];
  /** docker's --internal: no masquerade, no default route. */
  internal?: boolean;
  /** host-local's lease directory. */
  ipamDataDir: string;
  mtu?: number;
  /** The portmap plugin (published ports); default true. */
  portmap?: boolean;
  /** Masquerade (bridge ipMasq) and FORWARD accepts (firewall plugin) per container; default true. */
  perContainerRules?: boolean;
}

function hostLocalRange(r: { subnet: string; gateway?: string | undefined; ipRange?: { start: string; end: string } | undefined }): Record<string, string> {
  const range: Record<string, string> = { subnet: r.subnet };
  if (r.gateway !== undefined) range['gateway'] = r.gateway;
  if (r.ipRange !== undefined) {
    range['rangeStart'] = r.ipRange.start;
    range['rangeEnd'] = r.ipRange.end;
  }
  return range;
}

export function bridgeConflist(n: BridgeNetwork): NetworkConfigList {
  const ranges = [[hostLocalRange(n)], ...(n.extraRanges ?? []).map((r) => [hostLocalRange(r)])];
  const v6 = (n.extraRanges ?? []).some((r) => r.subnet.includes(':'));
  const internal = n.internal === true;
  const perContainer = n.perContainerRules !== false;
  return {
    cniVersion: '1.0.0',
    name: n.name,
    plugins: [
      {
        type: 'bridge',
        bridge: n.bridge,
        isGateway: true,
        ipMasq: perContainer && !internal,
        hairpinMode: true,
        // static addresses (--ip, --ip6) reach host-local as runtimeConfig.ips
        capabilities: { ips: true },
        ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
        ipam: {
          type: 'host-local',
          ranges,
          routes: internal ? [] : [{ dst: '0.0.0.0/0' }, ...(v6 ? [{ dst: '::/0' }] : [])],
          dataDir: n.ipamDataDir,
        },
      },
      ...(n.portmap === false ? [] : [{ type: 'portmap', capabilities: { portMappings: true }, snat: true }]),
      ...(perContainer ? [{ type: 'firewall', backend: 'iptables' }] : []),
    ],
  };
}
