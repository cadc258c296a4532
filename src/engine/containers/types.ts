// The container as the engine keeps it (one JSON document per row in skiff.db) and the docker-shaped
// records the API returns from it.

import type { ContainerConfig, HostConfig } from '../spec/index.js';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** docker's MountPoint (inspect Mounts). */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface ContainerRecord {
  Id: string;
  Name: string;
  Created: string;
  /** The image as the user named it (`busybox`), shown by `ps`. */
  ImageName: string;
  /** The image id (config digest). */
  Image: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  State: ContainerState;
  RestartCount: number;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  /** Exec instances of this container (docker's ExecIDs), newest last. */
  ExecIDs: string[];
  /** The networks the container is on (docker's NetworkSettings.Networks), by network name. */
  Networks?: Record<string, EndpointRecord>;
  /** Set while the container has its network namespace: its path and the published ports. */
  Sandbox?: { Key: string; Ports: Record<string, { HostIp?: string; HostPort?: string }[] | null> } | undefined;
  /** Volumes and binds (docker's MountPoints). */
  MountPoints?: MountPoint[];
  /** Stopped by the user (docker's HasBeenManuallyStopped): unless-stopped stays down after a daemon restart. */
  ManuallyStopped?: boolean;
}

/** docker's EndpointSettings: what was asked (kept) and the addresses (while attached). */
export interface EndpointRecord {
  IPAMConfig: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links: string[] | null;
  Aliases: string[] | null;
  MacAddress: string;
  DriverOpts: Record<string, string> | null;
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  DNSNames: string[] | null;
  /** The interface in the container while attached (eth0, eth1…); not docker's. */
  IfName?: string;
}

/** GET /containers/json entry (docker's ContainerSummary). */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: unknown[];
  Labels: Record<string, string>;
  State: ContainerStatus;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, unknown> };
  Mounts: unknown[];
  SizeRw?: number;
  SizeRootFs?: number;
}

export interface ExecConfig {
  Cmd: string[];
  Env?: string[];
  User?: string;
  WorkingDir?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Privileged?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number] | null;
}

export interface ExecRecord {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  CanRemove: boolean;
  DetachKeys: string;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** Container lifecycle events for /events (docker's Type "container"). */
export interface ContainerEvent {
  /** docker's event Type: container unless said (network connect/disconnect/create/destroy). */
  type?: 'container' | 'network';
  action: string;
  id: string;
  attributes: Record<string, string>;
  timeNano: bigint;
}
