// api/: the edges that speak other protocols (Docker Engine API; CRI later).
export * from './docker/index.js';
