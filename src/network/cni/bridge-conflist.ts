// The conflist of a docker-style bridge network, built from Debian's containernetworking-plugins:
// bridge (veth pair into the container, the host side on the bridge, gateway address on the
// bridge, masquerade out unless internal, hairpin so a container reaches its own published ports),
// host-local IPAM with its leases under Skiff's data root, portmap for published ports (with SNAT so
// 127.0.0.1 works) and firewall, which lets the bridge's traffic through a FORWARD policy of DROP
// (a host where dockerd has run) without touching docker's chains. [pure]

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
  /** docker's --internal: no masquerade, no default route. */
  internal?: boolean;
  /** host-local's lease directory. */
  ipamDataDir: string;
  mtu?: number;
}

export function bridgeConflist(n: BridgeNetwork): NetworkConfigList {
  const range: Record<string, string> = { subnet: n.subnet };
  if (n.gateway !== undefined) range['gateway'] = n.gateway;
  if (n.ipRange !== undefined) {
    range['rangeStart'] = n.ipRange.start;
    range['rangeEnd'] = n.ipRange.end;
  }
  const internal = n.internal === true;
  return {
    cniVersion: '1.0.0',
    name: n.name,
    plugins: [
      {
        type: 'bridge',
        bridge: n.bridge,
        isGateway: true,
        ipMasq: !internal,
        hairpinMode: true,
        ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
        ipam: {
          type: 'host-local',
          ranges: [[range]],
          routes: internal ? [] : [{ dst: '0.0.0.0/0' }],
          dataDir: n.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      { type: 'firewall', backend: 'iptables' },
    ],
  };
}
