/**
 * Connects to the existing cluster (read-only) and works out its capabilities, once per settings
 * object: the config checks need the capabilities before any resource (info.ts), and `create`
 * reports the same ones, so both call this and the cluster is asked only once.
 */
import { parse } from "yaml";
import { ConfigError } from "../../config/errors.js";
import type { ClusterCapabilities } from "../contract.js";
import { connect, kubectlAt, type Kubectl } from "./discover.js";
import { capabilitiesFrom, describeKubeconfig, needsDiscovery } from "./plan.js";
import type { ExistingSettings } from "./schema.js";

export interface Resolved {
  kubeconfig: string;
  server: string;
  cluster: string;
  capabilities: ClusterCapabilities;
}

const cache = new WeakMap<ExistingSettings, Resolved>();

export function resolve(s: ExistingSettings, kubectl: Kubectl = kubectlAt(s.kubectl)): Resolved {
  const known = cache.get(s);
  if (known) return known;
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
  const resolved = {
    kubeconfig: conn.kubeconfig,
    server: about.server,
    cluster: about.cluster,
    capabilities: capabilitiesFrom(conn.facts, s.capabilities),
  };
  cache.set(s, resolved);
  return resolved;
}
