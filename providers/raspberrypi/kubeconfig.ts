/**
 * k3s writes a kubeconfig for `https://127.0.0.1:6443` named `default`; kuar points it at a
 * reachable address and names cluster, user and context after the kuar cluster.
 */
import { parse, stringify } from "yaml";

export const KUBECONFIG_PATH = "/etc/rancher/k3s/k3s.yaml";

/** The host of an `apiServerEndpoint` URL, as a one-element list (empty when unset). */
export function endpointHost(endpoint: string | undefined): string[] {
  return endpoint ? [new URL(endpoint).hostname] : [];
}

/**
 * Points the kubeconfig at `endpoint` (an https URL) when given, else at the first server's
 * address with the port k3s wrote (6443), and names cluster, user and context `name`.
 */
export function rewriteKubeconfig(raw: string, serverAddress: string, name: string, endpoint?: string): string {
  const doc = parse(raw) as {
    clusters?: { name: string; cluster: { server: string } }[];
    users?: { name: string }[];
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    "current-context"?: string;
  };
  if (!doc?.clusters?.length || !doc.contexts?.length) {
    throw new Error(`the kubeconfig read from ${serverAddress}:${KUBECONFIG_PATH} has no cluster or context`);
  }
  for (const c of doc.clusters) {
    c.name = name;
    c.cluster.server = endpoint
      ? endpoint.replace(/\/$/, "")
      : c.cluster.server.replace(
          /\/\/[^/:]+(:\d+)?/,
          (_m, port: string | undefined) => `//${serverAddress}${port ?? ":6443"}`,
        );
  }
  for (const u of doc.users ?? []) u.name = name;
  for (const c of doc.contexts) {
    c.name = name;
    c.context.cluster = name;
    c.context.user = name;
  }
  doc["current-context"] = name;
  return stringify(doc);
}
