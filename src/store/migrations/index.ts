// The ordered list of migrations: append only; each one's version is its position (1-based).
import type { Migration } from '../types.js';
import { migration001Images } from './001-images.js';

export const MIGRATIONS: readonly Migration[] = [migration001Images];
