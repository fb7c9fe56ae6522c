/**
 * What the registry needs of the existing target: name, description, the settings schema, and
 * how to load the rest (index.ts does not import this file, so there is no cycle).
 */
import type { TargetInfo } from "../target.js";
import { resolve } from "./resolve.js";
import { settings, type ExistingSettings } from "./schema.js";

const base = {
  name: "existing" as const,
  // Read-only: connects and discovers what was not declared (resolve.ts asks the cluster once).
  capabilities: (s: ExistingSettings) => resolve(s).capabilities,
  description:
    "A cluster you already have (kind, minikube, k3d, Docker Desktop, managed): bootstrap and workloads only",
  settings,
};

export const info: TargetInfo<typeof settings, "existing"> = {
  ...base,
  load: async () => ({ ...base, create: (await import("./index.js")).create }),
};
