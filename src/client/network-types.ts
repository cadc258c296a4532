// Network types of the Docker Engine API as the CLI reads them. Create and connect bodies are
// plain JSON objects (the CLI builds exactly what docker sends).

/** One IPAM pool of a network (IPAM.Config[]). */
export interface NetworkIpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** GET /networks (one element) and GET /networks/{id} (with `Containers` filled in). */
export interface NetworkSummary {
  Name: string;
  Id: string;
  /** RFC 3339 with fractional seconds, as the daemon wrote it. */
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  IPAM?: { Driver: string; Options: Record<string, string> | null; Config: NetworkIpamConfig[] | null };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigOnly?: boolean;
  Options?: Record<string, string> | null;
  Labels: Record<string, string> | null;
  Containers?: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }> | null;
  [key: string]: unknown;
}

/** POST /networks/create answer */
export interface NetworkCreateResponse {
  Id: string;
  Warning?: string;
}

/** POST /networks/prune answer */
export interface NetworkPruneReport {
  NetworksDeleted: string[] | null;
}
