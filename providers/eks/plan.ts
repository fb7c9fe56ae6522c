/**
 * Pure decisions of the EKS target, kept out of the components so they are tested directly:
 * subnet layout, architecture and AMI per node group, taint effects, deletion protection,
 * IAM policy documents, add-ons and their configuration, access principals and the capabilities
 * reported to bootstrap.
 */
import { formatCidr } from "../../config/cidr.js";
import { parseCidr } from "../../config/fields.js";
import type { Taint } from "../../config/fields.js";
import { TAINT_EFFECT_ENUM } from "../cloud/pools.js";
import type { Arch, ClusterCapabilities } from "../contract.js";

export interface SubnetPlan {
  /** One CIDR per availability zone, in zone order. */
  public: string[];
  private: string[];
}

/**
 * Derives subnet CIDRs from the VPC CIDR. The VPC is cut into quarters: the first three are the
 * private subnets (one per zone; the VPC CNI gives every pod a VPC address, so they must be big),
 * and the last quarter holds small public subnets (1/64 of the VPC each) for load balancers and
 * NAT gateways. A /16 gives private /18s (16,382 addresses) and public /22s.
 */
export function deriveSubnets(vpcCidr: string, zones: number): SubnetPlan {
  const vpc = parseCidr(vpcCidr);
  if (!vpc) throw new Error(`not a CIDR: ${vpcCidr}`);
  const quarter = 2 ** (32 - (vpc.prefix + 2));
  const small = 2 ** (32 - (vpc.prefix + 6));
  const idx = Array.from({ length: zones }, (_, i) => i);
  return {
    private: idx.map((i) => formatCidr(vpc.base + i * quarter, vpc.prefix + 2)),
    public: idx.map((i) => formatCidr(vpc.base + 3 * quarter + i * small, vpc.prefix + 6)),
  };
}

/**
 * Graviton families carry a `g` right after the generation digit (m7g, c7gn, t4g, r8gd, im4gn,
 * is4gen, g5g), plus the first-generation a1.
 */
export function archOfInstanceType(instanceType: string): "amd64" | "arm64" {
  const family = instanceType.split(".")[0] ?? "";
  return family === "a1" || /^[a-z]+\d+g[a-z]*$/.test(family) ? "arm64" : "amd64";
}

export const AMI_TYPES = [
  "AL2023_x86_64_STANDARD",
  "AL2023_ARM_64_STANDARD",
  "AL2023_x86_64_NVIDIA",
  "AL2023_ARM_64_NVIDIA",
  "AL2023_x86_64_NEURON",
  "BOTTLEROCKET_x86_64",
  "BOTTLEROCKET_ARM_64",
] as const;
export type AmiType = (typeof AMI_TYPES)[number];

export function archOfAmiType(ami: AmiType): "amd64" | "arm64" {
  return /ARM/.test(ami) ? "arm64" : "amd64";
}

/** The AMI a node group runs: the explicit one, else Amazon Linux 2023 for its instances' CPU. */
export function amiTypeFor(group: { instanceTypes: string[]; amiType?: AmiType | undefined }): AmiType {
  if (group.amiType) return group.amiType;
  const arm = group.instanceTypes.every((t) => archOfInstanceType(t) === "arm64");
  return arm ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

/** The update policy of a node group: a count or a percentage of nodes replaced at once (EKS takes one). */
export function updateConfigFor(g: {
  maxUnavailable?: number | undefined;
  maxUnavailablePercentage?: number | undefined;
}): { maxUnavailable: number } | { maxUnavailablePercentage: number } {
  return g.maxUnavailablePercentage !== undefined
    ? { maxUnavailablePercentage: g.maxUnavailablePercentage }
    : { maxUnavailable: g.maxUnavailable ?? 1 };
}

/** Kubernetes taints in the spelling the EKS node group API wants (the one map, providers/cloud/pools.ts). */
export function eksTaints(taints: Taint[]): { key: string; value: string; effect: string }[] {
  return taints.map((t) => ({ key: t.key, value: t.value, effect: TAINT_EFFECT_ENUM[t.effect] }));
}

/**
 * Deletion protection, decided as on every cloud (providers/cloud/naming.ts): `protect` guards the
 * cluster, its KMS key and the VPC; `deletionProtection` is EKS's own flag on the cluster.
 */
export { protection, type Protection } from "../cloud/naming.js";

/** `aws`, `aws-cn` or `aws-us-gov`: managed policy ARNs and service principals differ by partition. */
export function partitionOf(region: string): "aws" | "aws-cn" | "aws-us-gov" {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function managedPolicyArn(region: string, name: string): string {
  return `arn:${partitionOf(region)}:iam::aws:policy/${name}`;
}

/** Trust policy letting an AWS service assume a role. */
export function serviceTrustPolicy(service: "eks" | "ec2", region: string): string {
  const suffix = service === "ec2" && partitionOf(region) === "aws-cn" ? ".cn" : "";
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: `${service}.amazonaws.com${suffix}` },
        Action: service === "eks" ? ["sts:AssumeRole", "sts:TagSession"] : "sts:AssumeRole",
      },
    ],
  });
}

/** IRSA trust policy: only `namespace/serviceAccount` of this cluster, with the STS audience. */
export function irsaTrustPolicy(oidcProviderArn: string, issuerUrl: string, namespace: string, sa: string): string {
  const issuer = issuerUrl.replace(/^https:\/\//, "");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${sa}`,
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  });
}

/** The only managed policies a node role gets; the CNI policy moves to IRSA when asked. */
export function nodePolicies(cniIrsa: boolean): string[] {
  const base = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"];
  return cniIrsa ? base : [...base, "AmazonEKS_CNI_Policy"];
}

/** EKS-managed add-ons: the networking pair before nodes, the rest once nodes can run their pods. */
export type AddonName = "vpc-cni" | "kube-proxy" | "eks-pod-identity-agent" | "coredns" | "aws-ebs-csi-driver";

/** The add-ons a cluster gets, in install order. */
export function addonsFor(s: { podIdentity: boolean; ebsCsiDriver: boolean }): AddonName[] {
  return [
    "vpc-cni",
    "kube-proxy",
    ...(s.podIdentity ? (["eks-pod-identity-agent"] as const) : []),
    "coredns",
    ...(s.ebsCsiDriver ? (["aws-ebs-csi-driver"] as const) : []),
  ];
}

/** Add-ons whose pods need nodes: EKS reports them ACTIVE only once their pods run. */
export const NEEDS_NODES: readonly AddonName[] = ["coredns", "aws-ebs-csi-driver"];

/**
 * `configurationValues` of an add-on. vpc-cni's network policy agent is off by default, which
 * leaves every NetworkPolicy accepted but not enforced; its schema takes the flag as a string.
 */
export function addonConfiguration(addon: AddonName): string | undefined {
  return addon === "vpc-cni" ? JSON.stringify({ enableNetworkPolicy: "true" }) : undefined;
}

/** The EKS access policy that makes a principal cluster-admin. */
export function clusterAdminPolicyArn(region: string): string {
  return `arn:${partitionOf(region)}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`;
}

const SESSION = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;

/**
 * The IAM role behind an STS assumed-role session ARN (`arn:aws:sts::1:assumed-role/Admin/me` ->
 * `arn:aws:iam::1:role/Admin`), or undefined for any other ARN. A session ARN drops the role's
 * path, so a role with a path needs it added back.
 */
export function roleOfSession(arn: string): string | undefined {
  const m = SESSION.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

export interface CapabilityInput {
  nodeGroups: { instanceTypes: string[]; amiType?: AmiType | undefined; minSize: number }[];
  ebsCsiDriver: boolean;
}

/** The name of the StorageClass the target creates when the EBS CSI driver is on. */
export const GP3_STORAGE_CLASS = "gp3";

export function capabilitiesFor(s: CapabilityInput): ClusterCapabilities {
  const arches = new Set(s.nodeGroups.map((g) => archOfAmiType(amiTypeFor(g))));
  const arch: Arch = arches.size === 1 ? [...arches][0]! : "mixed";
  return {
    loadBalancer: "cloud",
    // Without a CSI driver nothing provisions EBS volumes (the in-tree gp2 class is migrated to
    // CSI and is not the default since EKS 1.30), so the cluster honestly has no default class.
    defaultStorageClass: s.ebsCsiDriver ? GP3_STORAGE_CLASS : undefined,
    arch,
    dns: true,
    metricsServer: false,
    online: true,
    runsContainers: true,
    nodes: s.nodeGroups.reduce((n, g) => n + g.minSize, 0),
  };
}
