/**
 * Access entries: who may use the cluster's Kubernetes API. Each principal gets one entry
 * (EKS allows exactly one per principal) and the cluster-admin access policy. The identity
 * running Pulumi gets its entry here too, instead of EKS's one-time bootstrap flag, so turning
 * `clusterCreatorAdmin` on or off only adds or removes this entry.
 */
import * as eks from "@pulumi/aws/eks";
import type * as pulumi from "@pulumi/pulumi";
import { clusterAdminPolicyArn } from "./plan.js";

export interface AdminPrincipal {
  /** Logical name suffix, stable across runs (`creator`, `admin-0`, ...). */
  id: string;
  /** IAM role or user ARN. */
  arn: pulumi.Input<string>;
}

/** The principals that get an entry: the creator first (when asked), then every admin. */
export function adminPrincipals(admins: string[], creatorArn: pulumi.Input<string> | undefined): AdminPrincipal[] {
  return [
    ...(creatorArn !== undefined ? [{ id: "creator", arn: creatorArn }] : []),
    ...admins.map((arn, i) => ({ id: `admin-${i}`, arn })),
  ];
}

/** Creates an entry and its cluster-admin association per principal; returns both kinds. */
export function accessEntries(
  name: string,
  clusterName: pulumi.Input<string>,
  region: string,
  principals: AdminPrincipal[],
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource[] {
  return principals.flatMap((p) => {
    const entry = new eks.AccessEntry(`${name}-${p.id}`, { clusterName, principalArn: p.arn, type: "STANDARD" }, opts);
    const association = new eks.AccessPolicyAssociation(
      `${name}-${p.id}`,
      {
        clusterName,
        principalArn: entry.principalArn,
        policyArn: clusterAdminPolicyArn(region),
        accessScope: { type: "cluster" },
      },
      opts,
    );
    return [entry, association];
  });
}
