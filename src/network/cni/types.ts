// CNI 1.0 data: network configuration lists and results (containernetworking/cni SPEC.md). [pure]

export interface PluginConfig {
  type: string;
  /** Capability arguments this plugin accepts as runtimeConfig (`portMappings: true`). */
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface NetworkConfigList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: PluginConfig[];
}

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR form: `10.88.0.2/16`. */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: { dst: string; gw?: string }[];
  dns?: { nameservers?: string[]; domain?: string; search?: string[]; options?: string[] };
}

/** docker's `-p` as the portmap plugin takes it (runtimeConfig.portMappings). */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}
