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
  /** Set while attached to a network (docker's NetworkSettings, the parts that vary). */
  Network?: {
    IPAddress: string;
    IPPrefixLen: number;
    Gateway: string;
    MacAddress: string;
    Ports: Record<string, { HostIp?: string; HostPort?: string }[] | null>;
    NetworkName: string;
    SandboxKey: string;
  } | undefined;
  /** Volumes and binds (docker's MountPoints). */
  MountPoints?: MountPoint[];
  /** Stopped by the user (docker's HasBeenManuallyStopped): unless-stopped stays down after a daemon restart. */
  ManuallyStopped?: boolean;
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
  action: string;
  id: string;
  attributes: Record<string, string>;
  timeNano: bigint;
}
