// Container, exec, volume and event types of the Docker Engine API as the CLI reads them. Create
// bodies are plain JSON objects (the CLI builds exactly what docker sends).

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** GET /containers/json */
export interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: PortSummary[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  Mounts?: { Name?: string; Source?: string; Destination?: string; Type?: string }[] | null;
  NetworkSettings?: { Networks?: Record<string, unknown> } | null;
  [key: string]: unknown;
}

/** POST /containers/create answer */
export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[] | null;
}

/** POST /containers/{id}/wait answer */
export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

/** GET /containers/{id}/top */
export interface ContainerTopResponse {
  Titles: string[];
  Processes: string[][] | null;
}

/** GET /containers/{id}/changes */
export interface ContainerChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** GET /containers/{id}/stats?stream=false */
export interface ContainerStats {
  read: string;
  preread?: string;
  name?: string;
  id?: string;
  pids_stats?: { current?: number; limit?: number };
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number>; commitbytes?: number; privateworkingset?: number };
  blkio_stats?: { io_service_bytes_recursive?: { major: number; minor: number; op: string; value: number }[] | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  [key: string]: unknown;
}

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[] | null; usage_in_kernelmode?: number; usage_in_usermode?: number };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** The X-Docker-Container-Path-Stat header of /archive (base64 JSON). */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** POST /containers/{id}/exec body */
export interface ExecCreateBody {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  AttachStdin?: boolean;
  AttachStderr?: boolean;
  AttachStdout?: boolean;
  Detach?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd: string[];
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  ContainerID: string;
  [key: string]: unknown;
}

/** GET /volumes */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Scope: string;
  Options: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
  Status?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface VolumeListResponse {
  Volumes: Volume[] | null;
  Warnings: string[] | null;
}

/** POST /containers/prune and /volumes/prune */
export interface PruneReport {
  ContainersDeleted?: string[] | null;
  VolumesDeleted?: string[] | null;
  SpaceReclaimed: number;
}

/** GET /system/df */
export interface DiskUsage {
  LayersSize?: number;
  Images: { Id: string; Size: number; SharedSize: number; Containers: number; [k: string]: unknown }[] | null;
  Containers: ContainerSummary[] | null;
  Volumes: Volume[] | null;
  BuildCache?: { Size: number; InUse: boolean; Shared: boolean; [k: string]: unknown }[] | null;
}

/** One record of GET /events */
export interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> | null };
  scope?: string;
  time: number;
  timeNano: number;
  /** `timeNano` exactly as the daemon wrote it (a JSON number beyond 2^53). */
  timeNanoText?: string;
  status?: string;
  id?: string;
  from?: string;
}
