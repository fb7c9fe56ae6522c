/**
 * The kubeconfig of an EKS cluster. Pure: it holds the endpoint, the cluster CA and an exec
 * entry running `aws eks get-token`, which mints a 15-minute token from whatever AWS credentials
 * the caller has. No token, key or password is ever written into it (or into Pulumi state).
 */
import { stringify } from "yaml";

export interface EksKubeconfigInput {
  /** EKS cluster name. */
  clusterName: string;
  /** AWS region of the cluster. */
  region: string;
  /** API server URL (`https://...eks.amazonaws.com`). */
  endpoint: string;
  /** Base64 PEM of the cluster CA, as EKS returns it. */
  certificateAuthorityData: string;
  /** Role to assume for the token (`--role-arn`). @default none: the caller's own identity */
  roleArn?: string | undefined;
  /** AWS CLI profile (`AWS_PROFILE`). @default none: the ambient credentials */
  profile?: string | undefined;
}

export function renderKubeconfig(k: EksKubeconfigInput): string {
  const name = k.clusterName;
  const args = ["eks", "get-token", "--cluster-name", name, "--region", k.region, "--output", "json"];
  if (k.roleArn) args.push("--role-arn", k.roleArn);
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: k.endpoint, "certificate-authority-data": k.certificateAuthorityData } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args,
            env: k.profile ? [{ name: "AWS_PROFILE", value: k.profile }] : null,
            interactiveMode: "Never",
            provideClusterInfo: false,
          },
        },
      },
    ],
  });
}
