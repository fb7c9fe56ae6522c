/**
 * Builds the existing target: connect through the kubeconfig (read-only), discover what was not
 * declared, and hand the cluster contract up. Called once, after all config validated.
 */
import type * as pulumi from "@pulumi/pulumi";
import { defineTarget, type TargetContext } from "../target.js";
import { ExistingCluster } from "./cluster.js";
import type { Kubectl } from "./discover.js";
import { info } from "./info.js";
import { clusterIdentifier } from "./plan.js";
import { resolve } from "./resolve.js";
import type { ExistingSettings } from "./schema.js";

export function create(
  name: string,
  s: ExistingSettings,
  _ctx: TargetContext,
  opts?: pulumi.ComponentResourceOptions,
  kubectl?: Kubectl,
): ExistingCluster {
  const r = resolve(s, kubectl);
  return new ExistingCluster(
    name,
    {
      clusterName: r.cluster,
      kubeconfig: r.kubeconfig,
      clusterIdentifier: clusterIdentifier(r.server, r.cluster),
      capabilities: r.capabilities,
    },
    opts,
  );
}

export const target = defineTarget({ ...info, create: (name, s, ctx, opts) => create(name, s, ctx, opts) });
