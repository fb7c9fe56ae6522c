/**
 * The kubeconfig kuar hands out for a GKE cluster. It holds no credential: kubectl (and the
 * Kubernetes provider) run `gke-gcloud-auth-plugin`, which mints a short-lived token from the
 * caller's gcloud login or application default credentials.
 */
import { renderExecKubeconfig } from "../kubeconfig.js";

export interface GkeKubeconfigArgs {
  /** Context, cluster and user name, by gcloud's convention `gke_<project>_<location>_<name>`. */
  context: string;
  /** The control plane's address (IP or host name, without scheme). */
  endpoint: string;
  /** The cluster CA certificate, base64-encoded PEM as the GKE API returns it. */
  caCertificate: string;
}

export const AUTH_PLUGIN = "gke-gcloud-auth-plugin";

export const INSTALL_HINT =
  "Install gke-gcloud-auth-plugin for use with kubectl by following " +
  "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin";

/** gcloud's name for a cluster's context, so kuar's kubeconfig merges with `gcloud container clusters get-credentials`. */
export function contextName(project: string, location: string, clusterName: string): string {
  return `gke_${project}_${location}_${clusterName}`;
}

export function renderKubeconfig({ context, endpoint, caCertificate }: GkeKubeconfigArgs): string {
  return renderExecKubeconfig({
    name: context,
    server: `https://${endpoint}`,
    caData: caCertificate,
    exec: { command: AUTH_PLUGIN, installHint: INSTALL_HINT, provideClusterInfo: true },
  });
}
