// image/ (L4): the image service. Other layers import only this file.
export * from './types.js';
export { openImageService } from './image-service.js';
export { applyChanges } from './changes.js';
