// The verbs of `skiff`, in the order `--help` lists them.
import type { Command } from '../context.js';
import { imageHistory } from './image-history.js';
import { imageImport, imageLoad, imageSave } from './image-archive.js';
import { imageInspect } from './image-inspect.js';
import { imageList } from './image-list.js';
import { imagePrune } from './image-prune.js';
import { imagePull, imagePush } from './image-pull.js';
import { imageRemove } from './image-remove.js';
import { imageTag } from './image-tag.js';
import { login, logout } from './login.js';
import { info, version } from './system.js';

export const COMMANDS: readonly Command[] = [
  imageHistory, imageImport, imageInspect, imageLoad, imageList, imagePrune, imagePull, imagePush, imageRemove,
  imageSave, imageTag, info, login, logout, version,
];

/** Command groups (`skiff image`, `skiff system`) and their one-line descriptions. */
export const GROUPS: Record<string, string> = {
  image: 'Manage images',
  system: 'Manage Docker',
};
