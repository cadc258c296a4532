// Collects ops with the spec field each one comes from, so a failure {opIndex, errno} from the shim
// becomes "mounts[3] (/data): mount: permission denied".

import type { PlanOp } from '../plan-ops.js';
import type { LaunchPlan } from './types.js';

export class PlanBuilder {
  private readonly ops: PlanOp[] = [];
  private readonly origins: string[] = [];

  add(origin: string, ...ops: PlanOp[]): void {
    for (const op of ops) {
      this.ops.push(op);
      this.origins.push(origin);
    }
  }

  build(): LaunchPlan {
    return { ops: this.ops, origins: this.origins };
  }
}
