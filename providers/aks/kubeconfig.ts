/**
 * The kubeconfig kuar hands out for an AKS cluster. It holds no credential: local accounts are
 * disabled, so kubectl (and the Kubernetes provider) run `kubelogin get-token`, which exchanges
 * the caller's Entra ID sign-in (az CLI, workload identity, service principal or managed
 * identity) for a short-lived token for the AKS server application.
 *
 * The ManagedCluster resource does not expose the cluster CA, so it is read from
 * `listManagedClusterUserCredentials`. For a cluster with Entra ID and local accounts disabled
 * that kubeconfig carries no secret either, but kuar still keeps only the CA from it
 * (`caFromUserCredentials`) and renders the rest itself.
 */
import { parse } from "yaml";
import { renderExecKubeconfig } from "../kubeconfig.js";

/** The application id of the AKS Entra ID server (the same in every tenant). */
export const AKS_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

export const INSTALL_HINT =
  "kubelogin is not installed. Install it with: az aks install-cli, or see https://azure.github.io/kubelogin/install.html";

export type KubeloginMode = "azurecli" | "workloadidentity" | "spn" | "msi";

export interface AksKubeconfigArgs {
  /** Context, cluster and user name (az uses the cluster name). */
  context: string;
  /** The API server's host name (the public FQDN, or the private one for a private cluster). */
  server: string;
  /** The cluster CA, base64-encoded PEM as in a kubeconfig's `certificate-authority-data`. */
  caData: string;
  /** How kubelogin signs in. @default "azurecli" */
  login?: KubeloginMode;
  /** Entra ID tenant; passed to kubelogin for service principal sign-in, which needs it. @default unset */
  tenantId?: string;
}

/** The `kubelogin` arguments for a sign-in mode. Secrets never appear here: kubelogin reads them from its environment. */
export function kubeloginArgs(login: KubeloginMode, tenantId?: string): string[] {
  const args = ["get-token", "--login", login, "--server-id", AKS_SERVER_ID];
  if (login === "spn" && tenantId) args.push("--tenant-id", tenantId);
  return args;
}

export function renderKubeconfig(args: AksKubeconfigArgs): string {
  return renderExecKubeconfig({
    name: args.context,
    server: `https://${args.server}:443`,
    caData: args.caData,
    exec: {
      command: "kubelogin",
      args: kubeloginArgs(args.login ?? "azurecli", args.tenantId),
      installHint: INSTALL_HINT,
    },
  });
}

/**
 * The CA of the first cluster in the kubeconfigs `listManagedClusterUserCredentials` returns
 * (base64-encoded YAML). Everything else in them (users, tokens, exec settings) is dropped.
 */
export function caFromUserCredentials(kubeconfigs: readonly { name?: string; value: string }[]): string {
  for (const k of kubeconfigs) {
    const doc = parse(Buffer.from(k.value, "base64").toString("utf8")) as {
      clusters?: { cluster?: { "certificate-authority-data"?: unknown } }[];
    } | null;
    const ca = doc?.clusters?.[0]?.cluster?.["certificate-authority-data"];
    if (typeof ca === "string" && ca.length > 0) return ca;
  }
  throw new Error(
    "listManagedClusterUserCredentials returned no kubeconfig with a cluster CA; check that the cluster finished provisioning",
  );
}
