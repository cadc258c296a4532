// engine/spec: docker create options + image config → OCI runtime spec, as dockerd builds it.
export type * from './types.js';
export { buildContainerSpec, adaptHostConfig, tweakCapabilities, allCapabilities, replaceOrAppendEnv, hostDevices,
  dockerDefaultDeviceRules, DOCKER_DEFAULT_CAPABILITIES, DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS, DEFAULT_PATH_ENV,
  DEFAULT_SHM_SIZE, buildResources } from './build-spec.js';
export type { SpecInput, BuiltSpec } from './build-spec.js';
export { mergeImageConfig, entrypointAndArgs } from './merge.js';
export { validateHostConfig } from './validate.js';
export { DOCKER_DEFAULT_SECCOMP_PROFILE, specialiseSeccomp, defaultSeccompProfile, loadSeccompProfile, nativeSeccompArch } from './default-seccomp.js';
export type { DockerSeccompProfile, DockerSyscallRule, SeccompFilter, SeccompContext } from './default-seccomp.js';
export { resolveContainerUser, resolveUserFromFiles, resolveExecUser, resolveAdditionalGroups, parsePasswd, parseGroup } from './user.js';
export type { ResolvedUser } from './user.js';
export { buildMounts, parseBind, mergeTmpfsOptions, dockerDefaultMounts, cleanPath } from './mounts.js';
