/** Names and protection every cloud target derives the same way. */

/** The one default cluster name (config/stack-file.ts), cut to the cloud's limit. */
export { defaultClusterName, fit } from "../../config/stack-file.js";

export interface Protection {
  /** Pulumi's `protect` resource option on the cluster (and whatever else the target guards). */
  protect: boolean;
  /** The cloud's own deletion protection flag or lock. */
  deletionProtection: boolean;
}

/** Deletion protection is on unless turned off in settings or the stack is ephemeral. */
export function protection(setting: boolean, ephemeral: boolean): Protection {
  const on = setting && !ephemeral;
  return { protect: on, deletionProtection: on };
}
