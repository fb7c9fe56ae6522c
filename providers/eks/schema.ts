/**
 * Settings of the EKS target (`kuar:eks`). Field checks live on each field; checks that relate
 * fields (zones and region, subnets and VPC, endpoint access, node group sizes) live in
 * `checkSettings`, each with the path, the value, what is allowed and the fix.
 */
import { z } from "zod";
import { checkNoOverlap, cidr, labels, matching, parseCidr, taint } from "../../config/fields.js";
import { toolchain } from "../../config/versions.js";
import { cidrContains } from "../../config/cidr.js";
import { AMI_TYPES, archOfAmiType, archOfInstanceType, deriveSubnets, roleOfSession } from "./plan.js";
import { fix } from "../../config/toolkit.js";
import { controllerGroups, isRestrictedTag, KARPENTER_MAX_MINOR, RESTRICTED_TAG_KEYS } from "./karpenter-plan.js";

export const region = matching(
  /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/,
  'expected an AWS region such as "eu-west-1"',
  "Use the region code shown by `aws ec2 describe-regions`, e.g. eu-west-1.",
);

export const zone = matching(
  /^[a-z]{2}(-[a-z]+)+-\d{1,2}[a-z]$/,
  'expected an availability zone name such as "eu-west-1a"',
  "Use zone names from `aws ec2 describe-availability-zones --region <region>` (local zones are not supported).",
);

const awsName = (what: string, max: number) =>
  matching(
    new RegExp(`^[0-9A-Za-z][A-Za-z0-9_-]{0,${max - 1}}$`),
    `expected a ${what} name (letters, digits, '-' and '_', starting alphanumeric, at most ${max} characters)`,
    "Rename it with letters, digits and dashes.",
  );

const instanceType = matching(
  /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/,
  'expected an EC2 instance type such as "m7i.large" or "m7g.large"',
  "Use a type listed by `aws ec2 describe-instance-types`.",
);

const IAM_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/;

/** Any IAM or STS ARN; which kinds EKS takes is checked in `checkPrincipal`, where the path is known. */
const principalArn = matching(
  /^arn:aws(-cn|-us-gov)?:(iam|sts)::\d{12}:[A-Za-z-]+\/.+$/,
  'expected an IAM ARN such as "arn:aws:iam::123456789012:role/platform-admin"',
  "Copy the ARN from `aws iam get-role --role-name <name> --query Role.Arn`.",
);

const LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653] as const;

export const nodeGroup = z.strictObject({
  /** Node group name, unique within the cluster; also the `kuar.io/node-group` label. */
  name: awsName("node group", 40),
  /**
   * EC2 instance types. All must share one CPU architecture; Graviton families (m7g, c7g, t4g, ...)
   * run arm64, everything else amd64. Several types make spot capacity easier to get.
   * @default ["m7i.large"]
   */
  instanceTypes: z.array(instanceType).min(1).default(["m7i.large"]),
  /** Fewest nodes; the sum over groups is the node count reported to bootstrap. @default 1 */
  minSize: z.int().min(0).default(1),
  /** Most nodes the group may scale to. @default 3 */
  maxSize: z.int().min(1).max(450).default(3),
  /**
   * Nodes at creation. Later changes by an autoscaler are ignored by Pulumi (it does not fight
   * the autoscaler). @default minSize
   */
  desiredSize: z.int().min(0).optional(),
  /** `ON_DEMAND` or `SPOT` (cheaper, may be reclaimed with two minutes' notice). @default "ON_DEMAND" */
  capacityType: z.enum(["ON_DEMAND", "SPOT"]).default("ON_DEMAND"),
  /** Extra Kubernetes node labels. @default {} */
  labels: labels.default({}),
  /** Kubernetes taints (effect NoSchedule, PreferNoSchedule or NoExecute). @default [] */
  taints: z.array(taint).default([]),
  /**
   * Nodes replaced at once when the group is updated (new AMI, new version), 1-100.
   * @default 1, unless maxUnavailablePercentage is set
   */
  maxUnavailable: z.int().min(1).max(100).optional(),
  /** Share of nodes replaced at once, 1-100 (instead of maxUnavailable). @default none */
  maxUnavailablePercentage: z.int().min(1).max(100).optional(),
  /** Root volume size in GiB. @default 50 */
  diskSize: z.int().min(20).max(16384).default(50),
  /**
   * AMI type override, e.g. `AL2023_x86_64_NVIDIA` for GPU nodes.
   * @default AL2023_ARM_64_STANDARD for Graviton instance types, else AL2023_x86_64_STANDARD
   */
  amiType: z.enum(AMI_TYPES).optional(),
});
export type NodeGroupSettings = z.output<typeof nodeGroup>;

export const DEFAULT_NODE_GROUPS: z.input<typeof nodeGroup>[] = [
  { name: "system", instanceTypes: ["m7i.large"], minSize: 2, maxSize: 3 },
  { name: "workload", instanceTypes: ["m7i.large", "m6i.large"], minSize: 1, maxSize: 5 },
];

export const network = z.strictObject({
  /**
   * CIDR of the VPC kuar creates, /16 to /20 (every pod takes a VPC address). Not allowed with
   * `existingVpc`. @default "10.0.0.0/16"
   */
  vpcCidr: cidr.optional(),
  /** Public subnet per zone, in zone order. @default the last quarter of the VPC in 1/64 slices */
  publicSubnetCidrs: z.array(cidr).optional(),
  /** Private subnet per zone, in zone order. @default the first three quarters of the VPC */
  privateSubnetCidrs: z.array(cidr).optional(),
  /**
   * `one-per-az` keeps egress working when a zone fails; `single` saves money (one gateway,
   * cross-zone traffic, one point of failure). @default "one-per-az"
   */
  natGateways: z.enum(["one-per-az", "single"]).default("one-per-az"),
  /**
   * Use an existing VPC instead of creating one. Its subnets must already carry the
   * `kubernetes.io/role/elb` / `kubernetes.io/role/internal-elb` tags and reach the internet (NAT).
   * @default undefined (kuar creates the VPC)
   */
  existingVpc: z
    .strictObject({
      /** VPC id such as `vpc-0abc...`. */
      vpcId: matching(
        /^vpc-[0-9a-f]{8,17}$/,
        'expected a VPC id such as "vpc-0123456789abcdef0"',
        "Copy it from `aws ec2 describe-vpcs`.",
      ),
      /** Private subnets for nodes and the control plane ENIs, in at least two zones. */
      privateSubnetIds: z
        .array(
          matching(
            /^subnet-[0-9a-f]{8,17}$/,
            'expected a subnet id such as "subnet-0123abcd"',
            "Copy it from `aws ec2 describe-subnets`.",
          ),
        )
        .refine((a) => a.length >= 2, {
          message: "must list at least 2 subnets (EKS needs two zones)",
          ...fix("Add a subnet in another zone."),
        }),
    })
    .optional(),
});

/** A Karpenter duration (the NodePool CRD's pattern): "30s", "5m", "720h", "1h30m". */
const duration = (what: string) =>
  matching(
    /^([0-9]+(s|m|h))+$/,
    `expected ${what} such as "5m" or "720h" (seconds, minutes, hours)`,
    'Write digits followed by s, m or h, e.g. "1m".',
  );

export const nodeAutoProvisioning = z.strictObject({
  /** Most vCPUs Karpenter may launch in total (the NodePool's `limits.cpu`). Required. */
  maxCpu: z.int().min(1).max(100000),
  /** Most memory Karpenter may launch in total, in GiB (the NodePool's `limits.memory`). Required. */
  maxMemoryGi: z.int().min(1).max(1000000),
  /**
   * Capacity types Karpenter may buy. Spot needs the account's EC2 Spot service-linked role
   * (`aws iam create-service-linked-role --aws-service-name spot.amazonaws.com`, once per account).
   * @default ["on-demand"]
   */
  capacityTypes: z
    .array(z.enum(["on-demand", "spot"]))
    .min(1)
    .default(["on-demand"]),
  /** EC2 instance categories (the letter before the generation: c, m, r, t, ...). @default ["c", "m", "r"] */
  instanceCategories: z
    .array(matching(/^[a-z]{1,3}$/, 'expected an instance category such as "m"', 'Use letters only, e.g. "c".'))
    .min(1)
    .default(["c", "m", "r"]),
  /**
   * EC2NodeClass AMI alias, `family@version`: al2023 or bottlerocket, at `latest` (nodes drift to
   * each new AMI within the disruption budget) or a pinned version such as `al2023@v20250101`.
   * @default "al2023@latest"
   */
  amiAlias: matching(
    /^(al2023|bottlerocket)@(latest|v[0-9][0-9.]*)$/,
    'expected an AMI alias such as "al2023@latest" or "al2023@v20250101" (families al2023 and bottlerocket)',
    "AL2 has no AMIs for Kubernetes 1.33 and later and Windows is not supported by kuar; use al2023 or bottlerocket.",
  ).default("al2023@latest"),
  /** How long a node must be empty or underused before Karpenter consolidates it. @default "1m" */
  consolidateAfter: duration("a consolidation delay").default("1m"),
  /** Age at which Karpenter replaces a node (within the disruption budget), or "Never". @default "720h" */
  expireAfter: z.union([z.literal("Never"), duration("a node lifetime")]).default("720h"),
  /**
   * An SQS queue fed by EventBridge (spot interruptions, rebalance recommendations, health and
   * state-change events), so Karpenter drains a node before AWS takes it. @default true
   */
  interruptionQueue: z.boolean().default(true),
});
export type NodeAutoProvisioning = z.output<typeof nodeAutoProvisioning>;

const fields = z.strictObject({
  /** AWS region, e.g. `eu-west-1`. Required. */
  region,
  /** Two or three zones of `region`, checked at preview against the zones AWS lists for the account. Required. */
  availabilityZones: z
    .array(zone)
    // refine rather than min/max: zod keeps the `fix` param only on custom issues.
    .refine((a) => a.length >= 2, {
      message: "must list at least 2 zones (EKS needs subnets in two zones)",
      ...fix("Add a second zone of the region, e.g. eu-west-1b."),
    })
    .refine((a) => a.length <= 3, {
      message: "must list at most 3 zones",
      ...fix("Keep three zones; more only add NAT cost."),
    }),
  /** EKS cluster name (also in subnet tags and the kubeconfig). @default "kuar-<stack>" */
  clusterName: awsName("cluster", 100).optional(),
  /** Kubernetes minor version, pinned; raise it to upgrade (never lowered). @default the toolchain's minor */
  version: matching(/^1\.\d{2}$/, 'expected a Kubernetes minor such as "1.34"', "Write major.minor only.").default(
    toolchain.kubernetes.split(".").slice(0, 2).join("."),
  ),
  /** AWS CLI profile for Pulumi's AWS provider and the kubeconfig (`AWS_PROFILE`). @default the ambient credentials */
  profile: z.string().min(1).optional(),
  /** Role the kubeconfig assumes (`aws eks get-token --role-arn`); it needs an access entry (see `admins`). @default none */
  kubeconfigRoleArn: principalArn.optional(),
  /** Network: a new VPC (default) or an existing one. @default a new 10.0.0.0/16 VPC */
  network: network.default({ natGateways: "one-per-az" }),
  /** Private API endpoint inside the VPC (nodes use it). @default true */
  endpointPrivateAccess: z.boolean().default(true),
  /** Public API endpoint (needed by Pulumi and kubectl outside the VPC). @default true */
  endpointPublicAccess: z.boolean().default(true),
  /** Who may reach the public endpoint. Required while `restrictPublicEndpoint`. @default none (EKS: anyone) */
  publicAccessCidrs: z.array(cidr).optional(),
  /**
   * Require `publicAccessCidrs` (without 0.0.0.0/0) whenever the public endpoint is on. Turn it
   * off only to open the API server to the whole internet. @default true
   */
  restrictPublicEndpoint: z.boolean().default(true),
  /**
   * IAM roles or users given cluster-admin through access entries, one entry each. The identity
   * running Pulumi belongs here only when clusterCreatorAdmin is off. @default []
   */
  admins: z.array(principalArn).default([]),
  /**
   * Give the identity running Pulumi cluster-admin through an access entry kuar manages (the IAM
   * role behind an assumed-role session). Toggling it adds or removes that entry only; the
   * cluster is never replaced. @default true
   */
  clusterCreatorAdmin: z.boolean().default(true),
  /** Envelope-encrypt Secrets with a KMS key kuar creates (rotation on). @default true */
  secretsEncryption: z.boolean().default(true),
  /** Control plane logs to CloudWatch. @default { types: ["api","audit","authenticator"], retentionDays: 90 } */
  logging: z
    .strictObject({
      /** Log types. @default ["api", "audit", "authenticator"] */
      types: z.array(z.enum(LOG_TYPES)).default(["api", "audit", "authenticator"]),
      /** CloudWatch retention in days (a value CloudWatch accepts). @default 90 */
      retentionDays: z.literal(RETENTION_DAYS).default(90),
    })
    .default({ types: ["api", "audit", "authenticator"], retentionDays: 90 }),
  /** Install the eks-pod-identity-agent add-on (EKS Pod Identity beside IRSA). @default false */
  podIdentity: z.boolean().default(false),
  /** Give the VPC CNI its own IRSA role instead of the node role's CNI policy. @default false */
  vpcCniIrsa: z.boolean().default(false),
  /** Install the aws-ebs-csi-driver add-on (IRSA role) and a default encrypted `gp3` StorageClass. @default true */
  ebsCsiDriver: z.boolean().default(true),
  /** EKS deletion protection plus Pulumi `protect`; always off on ephemeral stacks. @default true */
  deletionProtection: z.boolean().default(true),
  /** Tags on every AWS resource (through the provider's default tags), besides `kuar.io/cluster`. @default {} */
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
  /**
   * Node auto-provisioning with Karpenter: the chart, its IAM role (IRSA), a node role with an
   * EC2_LINUX access entry, the interruption queue and a default NodePool and EC2NodeClass. The
   * controller runs on the managed node groups. @default unset: off
   */
  nodeAutoProvisioning: nodeAutoProvisioning.optional(),
  /** Managed node groups. @default a "system" group (2-3 nodes) and a "workload" group (1-5 nodes) */
  nodeGroups: z
    .array(nodeGroup)
    .min(1)
    .default(() => DEFAULT_NODE_GROUPS.map((g) => nodeGroup.parse(g))),
});

// superRefine keeps the object schema (zod 4), so "did you mean" hints still see its keys.
export const settings = fields.superRefine(checkSettings);

export type EksSettings = z.output<typeof fields>;
type Input = EksSettings;

function issue(ctx: z.RefinementCtx, path: (string | number)[], input: unknown, message: string, fixText: string) {
  ctx.addIssue({ code: "custom", path, input, message, ...fix(fixText) });
}

/** True when `value` passes `schema`: cross-field checks only look at fields that are valid. */
const valid = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;

/**
 * Checks across fields. Zod runs them even when some field failed (so one run reports
 * everything), hence every check first makes sure the fields it reads are valid.
 */
export function checkSettings(s: Input, ctx: z.RefinementCtx): void {
  const seenZones = new Set<string>();
  const zonesOk = valid(z.array(zone), s.availabilityZones);
  if (zonesOk) {
    s.availabilityZones.forEach((az, i) => {
      if (valid(region, s.region) && (!az.startsWith(s.region) || az.length !== s.region.length + 1)) {
        issue(
          ctx,
          ["availabilityZones", i],
          az,
          `is not a zone of region ${s.region}`,
          `Use ${s.region}a, ${s.region}b, ... or change region.`,
        );
      }
      if (seenZones.has(az)) issue(ctx, ["availabilityZones", i], az, "is listed twice", "List each zone once.");
      seenZones.add(az);
    });
  }

  const zoneCountOk = zonesOk && s.availabilityZones.length >= 2 && s.availabilityZones.length <= 3;
  if (zoneCountOk && valid(network, s.network)) checkNetwork(s, ctx);
  if (
    valid(z.boolean(), s.endpointPublicAccess) &&
    valid(z.boolean(), s.endpointPrivateAccess) &&
    valid(z.boolean(), s.restrictPublicEndpoint) &&
    valid(z.array(cidr).optional(), s.publicAccessCidrs)
  ) {
    checkEndpoint(s, ctx);
  }
  if (Array.isArray(s.nodeGroups)) checkNodeGroups(s.nodeGroups, ctx);
  if (Array.isArray(s.admins)) {
    checkAdmins(s.admins, ctx);
    s.admins.forEach((arn, i) => checkPrincipal(["admins", i], arn, false, ctx));
  }
  if (typeof s.kubeconfigRoleArn === "string") checkPrincipal(["kubeconfigRoleArn"], s.kubeconfigRoleArn, true, ctx);
  if (s.nodeAutoProvisioning !== undefined && valid(nodeAutoProvisioning, s.nodeAutoProvisioning))
    checkKarpenter(s, ctx);
}

/** What Karpenter 1.14.1 needs of the rest of the settings (see karpenter-plan.ts for the sources). */
function checkKarpenter(s: Input, ctx: z.RefinementCtx): void {
  const set = (key: string, value: string) => `pulumi config set --path 'kuar:eks.${key}' ${value}`;
  if (Array.isArray(s.nodeGroups) && s.nodeGroups.every((g) => valid(nodeGroup, g))) {
    if (controllerGroups(s.nodeGroups).length === 0) {
      issue(
        ctx,
        ["nodeGroups"],
        s.nodeGroups.map((g) => g.name),
        "leave the Karpenter controller nowhere to run: it stays off Karpenter's own nodes, so it needs a node group with minSize of 1 or more whose taints it tolerates (CriticalAddonsOnly only)",
        `Keep one group untainted (or tainted CriticalAddonsOnly) with a node: ${set("nodeGroups[0].minSize", "2")}, or remove nodeAutoProvisioning.`,
      );
    }
  }
  if (valid(z.string().regex(/^1\.\d{2}$/), s.version) && Number(s.version.split(".")[1]) > KARPENTER_MAX_MINOR) {
    issue(
      ctx,
      ["nodeAutoProvisioning"],
      s.version,
      `cannot run on Kubernetes ${s.version}: Karpenter 1.14.1 supports Kubernetes up to 1.${KARPENTER_MAX_MINOR} (its compatibility matrix)`,
      `Keep ${set("version", `1.${KARPENTER_MAX_MINOR}`)} until kuar pins a newer Karpenter, or remove nodeAutoProvisioning.`,
    );
  }
  if (s.tags !== null && typeof s.tags === "object") {
    for (const key of Object.keys(s.tags).filter(isRestrictedTag)) {
      issue(
        ctx,
        ["tags", key],
        key,
        `is a tag key Karpenter sets itself; its EC2NodeClass refuses ${RESTRICTED_TAG_KEYS.join(", ")} (and kubernetes.io/cluster/*)`,
        `Remove it: pulumi config rm --path 'kuar:eks.tags["${key}"]'.`,
      );
    }
  }
}

/**
 * EKS access entries and `aws eks get-token --role-arn` take IAM principals. STS session ARNs
 * (what `aws sts get-caller-identity` prints under an assumed role) are refused by
 * CreateAccessEntry, so they are caught with the role ARN to use instead.
 */
function checkPrincipal(at: (string | number)[], v: string, roleOnly: boolean, ctx: z.RefinementCtx): void {
  if (!valid(principalArn, v)) return;
  const key = at.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join("");
  const set = (value: string) => `pulumi config set --path 'kuar:eks${key}' ${value}`;
  const role = roleOfSession(v);
  if (role) {
    issue(
      ctx,
      at,
      v,
      "is an STS session ARN; EKS access entries and --role-arn need the IAM role itself",
      `Use the role: ${set(role)} (add the role's path if it has one: aws iam get-role --role-name ${role.split("/").pop()} --query Role.Arn).`,
    );
  } else if (!IAM_ARN.test(v)) {
    issue(
      ctx,
      at,
      v,
      "is not an IAM role or user ARN (STS session and federated-user ARNs cannot be given access)",
      `Use the IAM role or user behind it: ${set("arn:aws:iam::<account>:role/<name>")}.`,
    );
  } else if (roleOnly && v.split(":")[5]?.startsWith("user/")) {
    issue(
      ctx,
      at,
      v,
      "is an IAM user; --role-arn assumes a role",
      "Give a role ARN, or remove kubeconfigRoleArn so the kubeconfig uses the caller's own identity.",
    );
  }
}

/** One access entry per principal (CreateAccessEntry): a repeated admin would fail with 409. */
function checkAdmins(admins: string[], ctx: z.RefinementCtx): void {
  admins.forEach((arn, i) => {
    const first = admins.indexOf(arn);
    if (first < i) {
      issue(
        ctx,
        ["admins", i],
        arn,
        `repeats admins[${first}]; EKS allows one access entry per principal`,
        "List each principal once.",
      );
    }
  });
}

/** Taint limits of the EKS node group API (at most 50 per group; key and value at most 63 characters). */
const MAX_TAINTS = 50;
const MAX_TAINT_TEXT = 63;

function checkNodeGroups(groups: NodeGroupSettings[], ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  groups.forEach((raw, i) => {
    const parsed = nodeGroup.safeParse(raw);
    if (!parsed.success) return;
    const g = parsed.data;
    const at = (k: string) => ["nodeGroups", i, k];
    if (names.has(g.name))
      issue(ctx, at("name"), g.name, "is used by an earlier node group", "Give every node group its own name.");
    names.add(g.name);
    if (g.minSize > g.maxSize) {
      issue(ctx, at("minSize"), g.minSize, `must not exceed maxSize (${g.maxSize})`, "Lower minSize or raise maxSize.");
    }
    if (g.desiredSize !== undefined && (g.desiredSize < g.minSize || g.desiredSize > g.maxSize)) {
      issue(
        ctx,
        at("desiredSize"),
        g.desiredSize,
        `must lie within minSize..maxSize (${g.minSize}..${g.maxSize})`,
        "Set desiredSize between minSize and maxSize, or leave it out.",
      );
    }
    if (g.maxUnavailable !== undefined && g.maxUnavailablePercentage !== undefined) {
      issue(
        ctx,
        at("maxUnavailablePercentage"),
        g.maxUnavailablePercentage,
        `is set together with maxUnavailable (${g.maxUnavailable}); EKS takes one of the two`,
        "Keep maxUnavailable or maxUnavailablePercentage, not both.",
      );
    }
    if (g.taints.length > MAX_TAINTS) {
      issue(
        ctx,
        at("taints"),
        g.taints.length,
        `lists more than ${MAX_TAINTS} taints (the EKS limit)`,
        "Drop some taints.",
      );
    }
    g.taints.forEach((t, j) => {
      for (const k of ["key", "value"] as const) {
        if (t[k].length > MAX_TAINT_TEXT) {
          issue(
            ctx,
            ["nodeGroups", i, "taints", j, k],
            t[k],
            `is longer than ${MAX_TAINT_TEXT} characters (the EKS limit)`,
            "Shorten it.",
          );
        }
      }
    });
    const arches = new Set(g.instanceTypes.map(archOfInstanceType));
    if (g.amiType) {
      const want = archOfAmiType(g.amiType);
      const wrong = g.instanceTypes.filter((t) => archOfInstanceType(t) !== want);
      if (wrong.length > 0) {
        issue(
          ctx,
          at("instanceTypes"),
          g.instanceTypes,
          `includes ${wrong.join(", ")}, which cannot boot the ${want} AMI type ${g.amiType}`,
          `Use ${want === "arm64" ? "Graviton (m7g, c7g, ...)" : "x86 (m7i, c7i, ...)"} instance types, or pick an amiType for them.`,
        );
      }
    } else if (arches.size > 1) {
      issue(
        ctx,
        at("instanceTypes"),
        g.instanceTypes,
        "mixes arm64 (Graviton) and amd64 instance types; one group runs one AMI",
        "Split them into two node groups.",
      );
    }
  });
}

function checkNetwork(s: Input, ctx: z.RefinementCtx): void {
  const n = s.network;
  if (n.existingVpc) {
    for (const key of ["vpcCidr", "publicSubnetCidrs", "privateSubnetCidrs"] as const) {
      if (n[key] !== undefined) {
        issue(
          ctx,
          ["network", key],
          n[key],
          "cannot be combined with network.existingVpc",
          `Remove network.${key}; the existing VPC's subnets are used as they are.`,
        );
      }
    }
    return;
  }
  const vpc = n.vpcCidr ?? "10.0.0.0/16";
  const prefix = parseCidr(vpc)?.prefix ?? 16;
  if (prefix < 16 || prefix > 20) {
    issue(
      ctx,
      ["network", "vpcCidr"],
      vpc,
      "must have a prefix from /16 to /20 (AWS allows at most /16; pods take VPC addresses)",
      'Use a range such as "10.0.0.0/16".',
    );
    return;
  }
  const zones = s.availabilityZones.length;
  const derived = deriveSubnets(vpc, zones);
  const entries: { path: (string | number)[]; cidr: string }[] = [];
  for (const kind of ["public", "private"] as const) {
    const key = kind === "public" ? "publicSubnetCidrs" : "privateSubnetCidrs";
    const given = n[key];
    if (given && given.length !== zones) {
      issue(
        ctx,
        ["network", key],
        given,
        `must list one CIDR per availability zone (${zones})`,
        "Give exactly one subnet per zone, in zone order, or leave it out to derive them.",
      );
    }
    (given ?? derived[kind]).forEach((c, i) => {
      const path = ["network", key, i];
      if (given && !cidrContains(vpc, c))
        issue(ctx, path, c, `lies outside the VPC CIDR ${vpc}`, "Pick a subnet inside network.vpcCidr.");
      entries.push({ path, cidr: c });
    });
  }
  checkNoOverlap(ctx, entries);
}

function checkEndpoint(s: Input, ctx: z.RefinementCtx): void {
  if (!s.endpointPublicAccess && !s.endpointPrivateAccess) {
    issue(
      ctx,
      ["endpointPublicAccess"],
      false,
      "and endpointPrivateAccess are both false, so nothing can reach the API server",
      "Turn on at least one endpoint.",
    );
    return;
  }
  if (!s.endpointPublicAccess) {
    if (s.publicAccessCidrs !== undefined) {
      issue(
        ctx,
        ["publicAccessCidrs"],
        s.publicAccessCidrs,
        "is set but the public endpoint is off (endpointPublicAccess: false)",
        "Remove publicAccessCidrs, or turn endpointPublicAccess on.",
      );
    }
    return;
  }
  if (!s.restrictPublicEndpoint) return;
  const cidrs = s.publicAccessCidrs ?? [];
  if (cidrs.length === 0) {
    issue(
      ctx,
      ["publicAccessCidrs"],
      s.publicAccessCidrs,
      "must list who may reach the public endpoint while restrictPublicEndpoint is on",
      'List your office/VPN/CI egress ranges, e.g. ["203.0.113.0/24"]; or set endpointPublicAccess false; or set restrictPublicEndpoint false to open it to everyone.',
    );
  }
  cidrs.forEach((c, i) => {
    if (parseCidr(c)?.prefix === 0) {
      issue(
        ctx,
        ["publicAccessCidrs", i],
        c,
        "opens the public endpoint to the whole internet while restrictPublicEndpoint is on",
        "List narrower ranges, or set restrictPublicEndpoint false on purpose.",
      );
    }
  });
  if (!s.endpointPrivateAccess) {
    issue(
      ctx,
      ["endpointPrivateAccess"],
      false,
      "is off while the public endpoint is restricted: nodes reach the API through NAT addresses outside publicAccessCidrs and never join",
      "Keep endpointPrivateAccess true (the default).",
    );
  }
}
