/**
 * Builds the existing target: connect through the kubeconfig (read-only), discover what was not
 * declared, and hand the cluster contract up. Called once, after all config validated.
 */
import type * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { ConfigError } from "../../config/errors.js";
import type { TargetContext } from "../target.js";
import { ExistingCluster } from "./cluster.js";
import { connect, kubectlAt, type Kubectl } from "./discover.js";
import { capabilitiesFrom, clusterIdentifier, describeKubeconfig, needsDiscovery } from "./plan.js";
import type { ExistingSettings } from "./schema.js";

export function create(
  name: string,
  s: ExistingSettings,
  _ctx: TargetContext,
  opts?: pulumi.ComponentResourceOptions,
  kubectl: Kubectl = kubectlAt(s.kubectl),
): ExistingCluster {
  const discover = s.discover && needsDiscovery(s.capabilities);
  let conn;
  try {
    conn = connect(kubectl, { path: s.kubeconfigPath, inline: s.kubeconfig }, s.context, discover);
  } catch (e) {
    const where = s.kubeconfig === undefined ? `the kubeconfig at ${s.kubeconfigPath}` : "the inline kubeconfig";
    throw new ConfigError([
      {
        path: s.context ? "kuar:existing.context" : "kuar:existing",
        received: s.context,
        message: `could not reach the cluster through ${where}: ${(e as Error).message}`,
        fix: `Check that kubectl${s.context ? ` --context ${s.context}` : ""} get nodes works from here; or declare every capability under kuar:existing.capabilities and set kuar:existing.discover to false.`,
      },
    ]);
  }
  const about = describeKubeconfig(conn.kubeconfig, parse);
  return new ExistingCluster(
    name,
    {
      clusterName: about.cluster,
      kubeconfig: conn.kubeconfig,
      clusterIdentifier: clusterIdentifier(about.server, about.cluster),
      capabilities: capabilitiesFrom(conn.facts, s.capabilities),
    },
    opts,
  );
}
