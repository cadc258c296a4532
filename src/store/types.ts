// Types of the metadata store: the rows other layers read and write (plain data).
import type Database from 'better-sqlite3';

export type SqliteDb = Database.Database;

export interface Migration {
  /** The user_version after this migration ran. */
  version: number;
  name: string;
  up(db: SqliteDb): void;
}

export interface ImageRecord {
  /** Config digest: docker's image id. */
  id: string;
  targetDigest: string;
  targetMediaType: string;
  targetSize: number;
  os: string;
  architecture: string;
  variant: string;
  sizeBytes: number;
  /** Committed snapshot of the top layer; '' for an image without layers. */
  chainId: string;
  parentId: string;
  storedAtMs: number;
  lastTagTime: string;
}

export interface ImageTagRecord {
  reference: string;
  imageId: string;
  taggedAtMs: number;
}
