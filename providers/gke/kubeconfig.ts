/**
 * The kubeconfig kuar hands out for a GKE cluster. It holds no credential: kubectl (and the
 * Kubernetes provider) run `gke-gcloud-auth-plugin`, which mints a short-lived token.
 *
 * Where the token comes from is the plugin's choice, not the caller's environment: without a
 * flag it runs `gcloud config config-helper --format=json` (so it needs gcloud and a gcloud
 * login); only `--use_application_default_credentials` makes it use application default
 * credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity federation, the metadata
 * server). Source: kubernetes/cloud-provider-gcp cmd/gke-gcloud-auth-plugin/main.go
 * (commit ecf3eea), the `use_application_default_credentials` flag, default false.
 */
import { renderExecKubeconfig } from "../kubeconfig.js";

export interface GkeKubeconfigArgs {
  /** Context, cluster and user name, by gcloud's convention `gke_<project>_<location>_<name>`. */
  context: string;
  /** The control plane's address (IP or host name, without scheme). */
  endpoint: string;
  /** The cluster CA certificate, base64-encoded PEM as the GKE API returns it. */
  caCertificate: string;
  /** Where the plugin gets its token: the gcloud login, or application default credentials. @default "gcloud" */
  auth?: GkeKubeconfigAuth;
}

export type GkeKubeconfigAuth = "gcloud" | "adc";

/** The plugin's flag for application default credentials. */
export const ADC_FLAG = "--use_application_default_credentials";

export const AUTH_PLUGIN = "gke-gcloud-auth-plugin";

export const INSTALL_HINT =
  "Install gke-gcloud-auth-plugin for use with kubectl by following " +
  "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin";

/** gcloud's name for a cluster's context, so kuar's kubeconfig merges with `gcloud container clusters get-credentials`. */
export function contextName(project: string, location: string, clusterName: string): string {
  return `gke_${project}_${location}_${clusterName}`;
}

export function renderKubeconfig({ context, endpoint, caCertificate, auth = "gcloud" }: GkeKubeconfigArgs): string {
  return renderExecKubeconfig({
    name: context,
    server: `https://${endpoint}`,
    caData: caCertificate,
    exec: {
      command: AUTH_PLUGIN,
      ...(auth === "adc" ? { args: [ADC_FLAG] } : {}),
      installHint: INSTALL_HINT,
      provideClusterInfo: true,
    },
  });
}
