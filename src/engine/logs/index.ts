export * from './json-file-reader.js';
