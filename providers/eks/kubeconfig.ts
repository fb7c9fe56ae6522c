/**
 * The kubeconfig of an EKS cluster. Pure: it holds the endpoint, the cluster CA and an exec
 * entry running `aws eks get-token`, which mints a 15-minute token from whatever AWS credentials
 * the caller has. No token, key or password is ever written into it (or into Pulumi state).
 */
import { renderExecKubeconfig } from "../kubeconfig.js";

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
  const args = ["eks", "get-token", "--cluster-name", k.clusterName, "--region", k.region, "--output", "json"];
  if (k.roleArn) args.push("--role-arn", k.roleArn);
  return renderExecKubeconfig({
    name: k.clusterName,
    server: k.endpoint,
    caData: k.certificateAuthorityData,
    exec: {
      command: "aws",
      args,
      ...(k.profile ? { env: [{ name: "AWS_PROFILE", value: k.profile }] } : {}),
      interactiveMode: "Never",
    },
  });
}
