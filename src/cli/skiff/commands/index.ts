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
import { containerCp } from './container-cp.js';
import { containerList, containerStats } from './container-ps.js';
import { containerAttach, containerCreate, containerExec, containerRun, containerStart } from './container-run.js';
import {
  containerCommit, containerDiff, containerExport, containerInspect, containerKill, containerLogs, containerPause,
  containerPrune, containerRemove, containerRename, containerRestart, containerStop, containerTop, containerUnpause, containerUpdate,
  containerWait, inspect,
} from './container-simple.js';
import { events, systemDf, volumeCreate, volumeInspect, volumeList, volumePrune, volumeRemove } from './volume.js';
import { containerPort } from './container-port.js';
import { systemPrune } from './system-prune.js';
import { networkConnect, networkCreate, networkDisconnect, networkInspect, networkList, networkPrune, networkRemove } from './network.js';

export const COMMANDS: readonly Command[] = [
  imageHistory, imageImport, imageInspect, imageLoad, imageList, imagePrune, imagePull, imagePush, imageRemove,
  imageSave, imageTag, info, login, logout, version,
  containerAttach, containerCommit, containerCp, containerCreate, containerDiff, containerExec, containerExport, containerInspect,
  containerKill, containerList, containerLogs, containerPause, containerPort, containerPrune, containerRemove, containerRename,
  containerRestart, containerRun, containerStart, containerStats, containerStop, containerTop, containerUnpause, containerUpdate,
  containerWait, inspect, events, systemDf, systemPrune, volumeCreate, volumeInspect, volumeList, volumePrune, volumeRemove,
  networkConnect, networkCreate, networkDisconnect, networkInspect, networkList, networkPrune, networkRemove,
];

/** Command groups (`skiff image`, `skiff system`) and their one-line descriptions. */
export const GROUPS: Record<string, string> = {
  container: 'Manage containers',
  image: 'Manage images',
  network: 'Manage networks',
  volume: 'Manage volumes',
  system: 'Manage Docker',
};
