// Data types of the Docker Engine API (v1.50) as the client sees them. Only the fields the CLI and
// the tests read are typed; everything else passes through as `unknown` so nothing is lost.

/** GET /images/json */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  /** Seconds since the epoch. */
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
  [key: string]: unknown;
}

/** GET /images/{name}/history */
export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** DELETE /images/{name} and POST /images/prune */
export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ImagePruneReport {
  ImagesDeleted: ImageDeleteItem[] | null;
  SpaceReclaimed: number;
}

/** One record of a JSON progress stream (pull, push, load, import, build). */
export interface JsonMessage {
  status?: string;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number; start?: number; units?: string; hidecounts?: boolean };
  errorDetail?: { code?: number; message?: string };
  error?: string;
  aux?: unknown;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** POST /auth */
export interface AuthResponse {
  Status: string;
  IdentityToken?: string;
}

export interface VersionComponent {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** GET /version */
export interface VersionResponse {
  Platform?: { Name: string };
  Components?: VersionComponent[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

/** GET /info: a large object; the CLI reads it as a loose record. */
export type SystemInfo = Record<string, unknown>;

/** Filters as the API takes them: `{"dangling":["true"]}` (JSON in the `filters` query parameter). */
export type Filters = Record<string, string[]>;

/** A parsed `-H`/DOCKER_HOST value. */
export type DaemonAddress =
  | { kind: 'unix'; socketPath: string; display: string }
  | { kind: 'tcp'; origin: string; display: string };
