// volume/ (L3): named and anonymous volumes (docker's local driver).
export { VolumeService, type VolumeInfo, type VolumeServiceOptions } from './volume-service.js';
