/**
 * What kuar knows of the existing target before loading it: name, description, the settings
 * schema, and its capabilities, declared or discovered read-only from the cluster.
 */
import type { TargetInfo } from "../target.js";
import { resolve } from "./resolve.js";
import { settings, type ExistingSettings } from "./schema.js";

export const info: TargetInfo<typeof settings, "existing"> = {
  name: "existing",
  // Read-only: connects and discovers what was not declared (resolve.ts asks the cluster once).
  capabilities: (s: ExistingSettings) => resolve(s).capabilities,
  // Nothing is known before the settings: every capability is declared or discovered.
  knownCapabilities: {},
  secretKeys: [],
  description:
    "A cluster you already have (kind, minikube, k3d, Docker Desktop, managed): bootstrap and workloads only",
  settings,
};
