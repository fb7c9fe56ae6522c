/** Names and protection every cloud target derives the same way. */
import { stackLabel } from "../../config/stack-file.js";

/** `kuar-<stack>`, cut to the cloud's `maxLength` without leaving a trailing dash. */
export function defaultClusterName(stack: string, maxLength: number): string {
  return fit(`kuar-${stackLabel(stack)}`, maxLength);
}

/** Cut to `max` characters without leaving a trailing dash or underscore. */
export function fit(s: string, max: number): string {
  return s.slice(0, max).replace(/[-_]+$/, "");
}

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
