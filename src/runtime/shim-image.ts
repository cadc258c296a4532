// One sealed memfd image of skiff-shim per long-lived caller (skiffd): every shim execs from it,
// so the CVE-2019-5736 protection (no writable host binary behind /proc/<pid>/exe) costs one copy
// of the binary in memory, shared by all shims, instead of a private copy each.

import { sealedCopy, type SealedImage } from '../sys/index.js';

export function sealedShimImage(shimPath: string): SealedImage {
  return sealedCopy(shimPath, 'skiff-shim');
}
