// runtime/: the OCI runtime as a library (skiffd uses it directly; cli/skiff-runtime wraps it).
export { SkiffRuntime, type SkiffRuntimeOptions, type CreateOptions, type ExecOptions } from './skiff-runtime.js';
export { StateStore, readProcStat, isSameProcess, type ContainerStateFile } from './state.js';
export { encodePlan, describePlan, PLAN_VERSION } from './plan-codec.js';
export { PLAN_OPS, type PlanOp } from './plan-ops.js';
export { planContainer, planExec, type LaunchPlan, type PreparedContainer, type ShimOptions, type ShimIo } from './planner/index.js';
export { ShimProcess, ShimStepError, exitCodeOf, encodeMessage, extraFdNumber, MSG } from './shim-process.js';
export * as cgroups from './cgroups/index.js';
export { sealedShimImage } from './shim-image.js';
export { ShimClient, ATTACH, type AttachOptions } from './shim-client.js';
