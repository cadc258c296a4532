// The ordered list of migrations: append only; each one's version is its position (1-based).
import type { Migration } from '../types.js';
import { migration001Images } from './001-images.js';
import { migration002Containers } from './002-containers.js';
import { migration003Volumes } from './003-volumes.js';
import { migration004Networks } from './004-networks.js';

export const MIGRATIONS: readonly Migration[] = [migration001Images, migration002Containers, migration003Volumes, migration004Networks];
