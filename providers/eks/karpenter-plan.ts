/**
 * Pure decisions of EKS node auto-provisioning with Karpenter, tested directly: the controller's
 * IAM policy, the interruption events it listens to, the chart values, the default NodePool and
 * EC2NodeClass, and where the controller can run.
 *
 * Facts from aws/karpenter-provider-aws at tag v1.14.1 (the chart is packaged from that tag,
 * hack/release/common.sh): the CRDs in pkg/apis/crds/ serve only `karpenter.sh/v1` NodePool and
 * `karpenter.k8s.aws/v1` EC2NodeClass; the controller's permissions and the interruption rules
 * follow website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml,
 * narrowed where kuar owns the instance profile. config/contracts/charts/karpenter.json records them.
 */
import { tolerates, type Taint, type Toleration } from "../cloud/pools.js";
import type { Arch } from "../contract.js";
import { partitionOf } from "./plan.js";

/** What `nodeAutoProvisioning` holds once parsed (schema.ts documents each field). */
export interface KarpenterSettings {
  maxCpu: number;
  maxMemoryGi: number;
  capacityTypes: ("on-demand" | "spot")[];
  instanceCategories: string[];
  amiAlias: string;
  consolidateAfter: string;
  expireAfter: string;
  interruptionQueue: boolean;
}

/** Where the chart installs the controller, and the service account IRSA trusts. */
export const KARPENTER_NAMESPACE = "kube-system";
export const KARPENTER_SERVICE_ACCOUNT = "karpenter";
/** Names of the default EC2NodeClass and NodePool kuar creates. */
export const DEFAULT_NODE_CLASS = "default";
export const DEFAULT_NODE_POOL = "default";

/** The chart's own tolerations (values.yaml `tolerations`): the controller runs on nodes with no other taint. */
export const CONTROLLER_TOLERATIONS: Toleration[] = [{ key: "CriticalAddonsOnly", operator: "Exists" }];

/**
 * Managed node groups able to run the controller: the chart's node affinity keeps it off
 * Karpenter's own nodes (`karpenter.sh/nodepool` DoesNotExist), so it needs a group that keeps at
 * least one node and whose taints it tolerates.
 */
export function controllerGroups<G extends { minSize: number; taints: Taint[] }>(groups: G[]): G[] {
  return groups.filter((g) => g.minSize > 0 && tolerates(CONTROLLER_TOLERATIONS, g.taints));
}

/**
 * Two replicas when two nodes can hold them: the chart spreads replicas one per node (required
 * pod anti-affinity on kubernetes.io/hostname), so a second replica on a one-node floor would
 * stay Pending.
 */
export function controllerReplicas(groups: { minSize: number; taints: Taint[] }[]): 1 | 2 {
  return controllerGroups(groups).reduce((n, g) => n + g.minSize, 0) >= 2 ? 2 : 1;
}

/** The newest Kubernetes minor the compatibility matrix of Karpenter 1.14.1 lists (website/content/en/docs/upgrading/compatibility.md). */
export const KARPENTER_MAX_MINOR = 36;

/**
 * Tag keys EC2NodeClass refuses in `spec.tags` (the CRD's validation rules); Karpenter sets
 * them itself. A prefix ends in "/".
 */
export const RESTRICTED_TAG_KEYS = [
  "eks:eks-cluster-name",
  "kubernetes.io/cluster",
  "karpenter.sh/nodepool",
  "karpenter.sh/nodeclaim",
  "karpenter.k8s.aws/ec2nodeclass",
] as const;

export function isRestrictedTag(key: string): boolean {
  return RESTRICTED_TAG_KEYS.some((r) => (r === "kubernetes.io/cluster" ? key.startsWith(r) : key === r));
}

/** EventBridge patterns whose events Karpenter acts on before AWS takes a node away. */
export const INTERRUPTION_EVENTS = [
  { id: "health", source: "aws.health", detailType: "AWS Health Event" },
  { id: "spot", source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  { id: "rebalance", source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  { id: "state", source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  { id: "reservation", source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
] as const;

export function eventPattern(e: { source: string; detailType: string }): string {
  return JSON.stringify({ source: [e.source], "detail-type": [e.detailType] });
}

/** The interruption queue accepts events from EventBridge (and SQS itself) only, over TLS only. */
export function queuePolicy(queueArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeSends",
        Effect: "Allow",
        Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] },
        Action: "sqs:SendMessage",
        Resource: queueArn,
      },
      {
        Sid: "DenyPlainHttp",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: queueArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

export interface PolicyInput {
  region: string;
  clusterName: string;
  clusterArn: string;
  nodeRoleArn: string;
  instanceProfileArn: string;
  /** The interruption queue, when there is one. */
  queueArn?: string | undefined;
}

/**
 * The controller's permissions. Everything it creates or deletes is scoped to what carries this
 * cluster's `kubernetes.io/cluster/<name>: owned` tag (Karpenter tags every instance, volume,
 * interface and launch template it makes); reads are limited to the region. kuar creates the
 * instance profile, so the controller only reads it (no iam:CreateInstanceProfile).
 */
export function controllerPolicy(p: PolicyInput): string {
  const part = partitionOf(p.region);
  const ec2 = (kind: string) => `arn:${part}:ec2:${p.region}:*:${kind}/*`;
  const owned = { [`aws:ResourceTag/kubernetes.io/cluster/${p.clusterName}`]: "owned" };
  const requestOwned = {
    [`aws:RequestTag/kubernetes.io/cluster/${p.clusterName}`]: "owned",
    "aws:RequestTag/eks:eks-cluster-name": p.clusterName,
  };
  const created = ["fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request"];
  const launches = ["ec2:RunInstances", "ec2:CreateFleet"];
  const statements: Record<string, unknown>[] = [
    {
      Sid: "LaunchFromSharedResources",
      Effect: "Allow",
      Action: launches,
      Resource: ["image", "snapshot", "security-group", "subnet", "capacity-reservation", "placement-group"].map(ec2),
    },
    {
      Sid: "LaunchFromOwnLaunchTemplates",
      Effect: "Allow",
      Action: launches,
      Resource: ec2("launch-template"),
      Condition: { StringEquals: owned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
    },
    {
      Sid: "CreateOwnedResources",
      Effect: "Allow",
      Action: [...launches, "ec2:CreateLaunchTemplate"],
      Resource: created.map(ec2),
      Condition: { StringEquals: requestOwned, StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" } },
    },
    {
      Sid: "TagOnCreate",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: created.map(ec2),
      Condition: {
        StringEquals: { ...requestOwned, "ec2:CreateAction": [...launches, "ec2:CreateLaunchTemplate"] },
        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
      },
    },
    {
      Sid: "TagOwnInstances",
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: ec2("instance"),
      Condition: {
        StringEquals: owned,
        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
        "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
      },
    },
    {
      Sid: "DeleteOwnResources",
      Effect: "Allow",
      Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
      Resource: [ec2("instance"), ec2("launch-template")],
      Condition: { StringEquals: owned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
    },
    {
      Sid: "RegionalReads",
      Effect: "Allow",
      Action: [
        "ec2:DescribeCapacityReservations",
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceStatus",
        "ec2:DescribeInstanceTypeOfferings",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribePlacementGroups",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSpotPriceHistory",
        "ec2:DescribeSubnets",
      ],
      Resource: "*",
      Condition: { StringEquals: { "aws:RequestedRegion": p.region } },
    },
    {
      Sid: "AmiParameters",
      Effect: "Allow",
      Action: "ssm:GetParameter",
      Resource: `arn:${part}:ssm:${p.region}::parameter/aws/service/*`,
    },
    { Sid: "Prices", Effect: "Allow", Action: "pricing:GetProducts", Resource: "*" },
    {
      Sid: "PassNodeRole",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: p.nodeRoleArn,
      Condition: {
        StringEquals: { "iam:PassedToService": part === "aws-cn" ? "ec2.amazonaws.com.cn" : "ec2.amazonaws.com" },
      },
    },
    { Sid: "ReadInstanceProfile", Effect: "Allow", Action: "iam:GetInstanceProfile", Resource: p.instanceProfileArn },
    { Sid: "ListInstanceProfiles", Effect: "Allow", Action: "iam:ListInstanceProfiles", Resource: "*" },
    { Sid: "DiscoverEndpoint", Effect: "Allow", Action: "eks:DescribeCluster", Resource: p.clusterArn },
  ];
  if (p.queueArn) {
    statements.push({
      Sid: "InterruptionQueue",
      Effect: "Allow",
      Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
      Resource: p.queueArn,
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Chart values (every path is recorded in config/contracts/charts/karpenter.json). */
export function chartValues(v: {
  clusterName: string;
  roleArn: string;
  queueName?: string | undefined;
  replicas: 1 | 2;
}): Record<string, unknown> {
  return {
    settings: { clusterName: v.clusterName, ...(v.queueName ? { interruptionQueue: v.queueName } : {}) },
    serviceAccount: { name: KARPENTER_SERVICE_ACCOUNT, annotations: { "eks.amazonaws.com/role-arn": v.roleArn } },
    replicas: v.replicas,
    // Karpenter's guide sizes the controller at 1 CPU and 1Gi; half a CPU requested suits small clusters.
    controller: { resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } } },
  };
}

/** The default EC2NodeClass spec: kuar's private subnets, the cluster security group, IMDSv2 (the CRD's default). */
export function nodeClassSpec(v: {
  alias: string;
  instanceProfile: string;
  subnetIds: string[];
  securityGroupId: string;
  tags: Record<string, string>;
}): Record<string, unknown> {
  return {
    instanceProfile: v.instanceProfile,
    amiSelectorTerms: [{ alias: v.alias }],
    subnetSelectorTerms: v.subnetIds.map((id) => ({ id })),
    securityGroupSelectorTerms: [{ id: v.securityGroupId }],
    tags: v.tags,
  };
}

/**
 * The default NodePool spec: instances of the cluster's architectures (kuar picks images by the
 * architecture it reports), the allowed capacity types and categories, current generations,
 * consolidation, node expiry and the cluster-wide limits.
 */
export function nodePoolSpec(s: KarpenterSettings, arch: Arch): Record<string, unknown> {
  return {
    template: {
      metadata: { labels: { "kuar.io/node-group": "karpenter" } },
      spec: {
        nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: DEFAULT_NODE_CLASS },
        requirements: [
          { key: "kubernetes.io/arch", operator: "In", values: arch === "mixed" ? ["amd64", "arm64"] : [arch] },
          { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
          { key: "karpenter.sh/capacity-type", operator: "In", values: s.capacityTypes },
          { key: "karpenter.k8s.aws/instance-category", operator: "In", values: s.instanceCategories },
          { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: ["4"] },
        ],
        expireAfter: s.expireAfter,
      },
    },
    disruption: { consolidationPolicy: "WhenEmptyOrUnderutilized", consolidateAfter: s.consolidateAfter },
    limits: { cpu: String(s.maxCpu), memory: `${s.maxMemoryGi}Gi` },
  };
}
