// sys/: the only layer that touches syscalls. Each module adds one export line here.
export * from './sys-error.js';
export * from './libc.js';
export * from './atomic-write.js';
export * from './bpf.js';
export * from './fifo.js';
export * from './open-in-root.js';
export * from './mount.js';
export * from './mknod.js';
export * from './xattr.js';
export * from './path-in-root.js';
export * from './memfd.js';
export * from './netns.js';
export * from './flock.js';
