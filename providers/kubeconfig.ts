/**
 * The kubeconfig shape every cloud target hands out: one cluster, one context, and a user that
 * authenticates through an exec credential plugin. No token, key or password is ever written
 * into it, so it carries no long-lived credential into Pulumi state.
 */
import { stringify } from "yaml";

export interface ExecPlugin {
  /** The plugin binary, e.g. `gke-gcloud-auth-plugin`, `kubelogin`, `aws`. */
  command: string;
  /** Its arguments. @default none */
  args?: string[];
  /** Extra environment, e.g. `AWS_PROFILE`. @default none */
  env?: { name: string; value: string }[];
  /** Shown by kubectl when the command is missing. @default none */
  installHint?: string;
  /** Pass the cluster's details to the plugin in KUBERNETES_EXEC_INFO. @default false */
  provideClusterInfo?: boolean;
  /** Whether the plugin may prompt. @default "IfAvailable" */
  interactiveMode?: "Never" | "IfAvailable" | "Always";
}

export interface ExecKubeconfigArgs {
  /** Context, cluster and user name. */
  name: string;
  /** API server URL, with scheme. */
  server: string;
  /** Cluster CA, base64-encoded PEM (`certificate-authority-data`). */
  caData: string;
  /** How the user authenticates. */
  exec: ExecPlugin;
}

export function renderExecKubeconfig({ name, server, caData, exec }: ExecKubeconfigArgs): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server, "certificate-authority-data": caData } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: exec.command,
            ...(exec.args ? { args: exec.args } : {}),
            env: exec.env ?? null,
            ...(exec.installHint ? { installHint: exec.installHint } : {}),
            provideClusterInfo: exec.provideClusterInfo ?? false,
            interactiveMode: exec.interactiveMode ?? "IfAvailable",
          },
        },
      },
    ],
  });
}
