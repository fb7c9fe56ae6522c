/**
 * Settings of `kuar:aks`. Defaults are production-shaped: own VNet with Azure CNI Overlay and
 * Cilium, a tainted system pool of two nodes plus an autoscaled workload pool, the Standard tier
 * (financially backed API server SLA), the `stable` upgrade channel, OIDC issuer and Workload
 * Identity, Entra ID (AAD) authentication with Azure RBAC and local accounts disabled, and a
 * delete lock. The example stack (stacks/Pulumi.aks-dev.yaml) shows dev-sized values.
 */
import { z } from "zod";
import { cidrContains, formatIPv4 } from "../../config/cidr.js";
import { checkNoOverlap, cidr, cidrsOverlap, labels, parseCidr, parseIPv4, taint } from "../../config/fields.js";
import { maintenanceWindow } from "../cloud/maintenance.js";
import { checkPools, schedulablePools } from "../cloud/pools.js";
import { poolTaints, principalTypeOf } from "./plan.js";
import { archOfVmSize, REGION_NAME, regionFromDisplayName, regionTypo, VM_SIZE } from "./regions.js";
import { AKS_OLDEST_MINOR, AKS_VERSIONS_RECORDED, pastEndOfLife } from "./versions.js";
import { fix, matching } from "../../config/toolkit.js";

const location = z.string().superRefine((s, ctx) => {
  if (!REGION_NAME.test(s)) {
    const guess = regionFromDisplayName(s);
    ctx.addIssue({
      code: "custom",
      input: s,
      message:
        'expected an Azure region name such as "westeurope" or "eastus2" (the programmatic name, not the display name)',
      params: {
        fix: REGION_NAME.test(guess)
          ? `Use "${guess}".`
          : "Run: az account list-locations --query '[].name' -o tsv and pick one.",
      },
    });
    return;
  }
  const typo = regionTypo(s);
  if (typo) {
    ctx.addIssue({
      code: "custom",
      input: s,
      message: "is not an Azure region",
      params: { fix: `Did you mean "${typo}"? Run: az account list-locations --query '[].name' -o tsv.` },
    });
  }
});

const vmSize = matching(
  VM_SIZE,
  'expected an Azure VM size such as "Standard_D4s_v5" (amd64) or "Standard_D4ps_v5" (arm64)',
  "Run: az vm list-skus --location <location> --resource-type virtualMachines --query '[].name' -o tsv.",
);

const poolName = matching(
  /^[a-z][a-z0-9]{0,11}$/,
  "expected an AKS node pool name: 1-12 lowercase letters and digits, starting with a letter",
  "Use lowercase letters and digits only (no dashes), at most 12 characters.",
);

const poolBase = {
  /** VM size of every node; a `p` in the size's features (Standard_D4ps_v5) means arm64. @default "Standard_D4s_v5" */
  vmSize: vmSize.default("Standard_D4s_v5"),
  /** Fewest nodes, the cluster autoscaler's floor; also the node count at creation. @default 1 */
  minCount: z.int().min(0).max(1000).default(1),
  /** Most nodes, the cluster autoscaler's ceiling. @default 5 */
  maxCount: z.int().min(1).max(1000).default(5),
  /** OS disk size per node in GB. @default 128 */
  osDiskSizeGB: z.int().min(30).max(2048).default(128),
  /** "Managed" (a premium SSD, survives reimage) or "Ephemeral" (the VM's cache disk: faster, free, needs a size whose cache fits osDiskSizeGB). @default "Managed" */
  osDiskType: z.enum(["Managed", "Ephemeral"]).default("Managed"),
  /** Node OS image. @default "AzureLinux" (smaller, fewer CVEs; Microsoft's recommended default) */
  osSku: z.enum(["AzureLinux", "Ubuntu"]).default("AzureLinux"),
  /** Availability zones to spread nodes over, e.g. ["1", "2", "3"]; not every region has zones. @default [] (no zone pinning) */
  availabilityZones: z
    .array(z.enum(["1", "2", "3"]))
    .max(3)
    .default([]),
  /** Kubernetes labels on every node of the pool. @default {} */
  labels: labels.default({}),
  /** Kubernetes taints on every node of the pool. @default [] */
  taints: z.array(taint).default([]),
};

export const workloadPool = z.strictObject({
  /**
   * Node pool name, on every node as label `kuar.io/node-pool`. AKS's name adds 4 characters that
   * change with the fields AKS cannot change in place (VM size, OS disk, OS SKU, zones, spot), so
   * the new pool is created before the old one is deleted. Changing the name replaces the pool.
   */
  name: matching(
    /^[a-z][a-z0-9]{0,7}$/,
    "expected a workload pool name: 1-8 lowercase letters and digits, starting with a letter (AKS allows 12; kuar adds 4 that change when the pool is rotated)",
    "Use lowercase letters and digits only (no dashes), at most 8 characters.",
  ),
  ...poolBase,
  /** Spot VMs (evicted and deleted when Azure needs the capacity; up to 90% cheaper). AKS taints them `kubernetes.azure.com/scalesetpriority=spot:NoSchedule`. @default false */
  spot: z.boolean().default(false),
});

export const systemPool = z.strictObject({
  /** Node pool name. @default "system" */
  name: poolName.default("system"),
  ...poolBase,
  /** VM size of every system node (at least 4 GiB of memory). @default "Standard_D2s_v5" */
  vmSize: vmSize.default("Standard_D2s_v5"),
  /** Fewest system nodes; 2 keeps CoreDNS and konnectivity up through a node upgrade. @default 2 */
  minCount: z.int().min(0).max(1000).default(2),
  /** Most system nodes. @default 3 */
  maxCount: z.int().min(1).max(1000).default(3),
  /** Only false is accepted: AKS system pools cannot use spot VMs. @default false */
  spot: z
    .boolean()
    .refine((v) => !v, {
      message: "must be false: AKS system pools cannot run on spot VMs",
      ...fix("Remove it, and put spot capacity in a workload pool (workloadPools[].spot)."),
    })
    .optional(),
  /** Taint the pool CriticalAddonsOnly=true:NoSchedule so only system add-ons run on it. Without workload pools it is never tainted (nothing else could run). @default true */
  criticalAddonsOnly: z.boolean().default(true),
});
export type WorkloadPoolSettings = z.output<typeof workloadPool>;
export type SystemPoolSettings = z.output<typeof systemPool>;

const ownNetwork = z.strictObject({
  /** Address space of the VNet kuar creates. @default "10.224.0.0/16" */
  vnetCidr: cidr.default("10.224.0.0/16"),
  /** The node subnet, inside vnetCidr; with overlay networking each node takes one address. @default "10.224.0.0/20" (4,091 nodes) */
  subnetCidr: cidr.default("10.224.0.0/20"),
});

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const SUBNET_ID = new RegExp(
  `^/subscriptions/(${GUID})/resourceGroups/[-\\w.()]{1,90}/providers/Microsoft\\.Network/virtualNetworks/[-\\w.]{2,64}/subnets/[-\\w.]{1,80}$`,
  "i",
);
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
const CLUSTER_NAME = /^[a-zA-Z0-9]([-_a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
const DNS_PREFIX = /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,52}[a-zA-Z0-9])?$/;
/** `1.33` (minor: with the `patch` channel AKS keeps the latest patch) or `1.33.2` (exact). */
const VERSION = /^1\.\d+(\.\d+)?$/;

const resourceGroupName = matching(
  RESOURCE_GROUP,
  "expected a resource group name: 1-90 letters, digits, '-', '_', '.', '(' and ')', not ending in '.'",
  "Use letters, digits and dashes.",
);

/** Address ranges AKS reserves; Pod and Service ranges must stay clear of them. */
export const AKS_RESERVED_RANGES = ["169.254.0.0/16", "172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24"] as const;

const settingsObject = z.strictObject({
  /** Azure region of every resource, by programmatic name (e.g. "westeurope"). Required. */
  location,
  /** Resource group kuar creates for the cluster, its VNet and identity. Exclusive with existingResourceGroup. @default "kuar-<stack>" */
  resourceGroupName: resourceGroupName.optional(),
  /** Name of an existing resource group to deploy into (kuar neither creates nor locks it). Exclusive with resourceGroupName. @default unset: kuar creates one */
  existingResourceGroup: resourceGroupName.optional(),
  /** AKS cluster name. @default "kuar-<stack>" */
  clusterName: matching(
    CLUSTER_NAME,
    "expected an AKS cluster name: 1-63 letters, digits, '-' and '_', starting and ending alphanumeric",
    "Use letters, digits and dashes.",
  ).optional(),
  /** DNS prefix of the API server's FQDN. @default the cluster name, cut to 54 characters */
  dnsPrefix: matching(
    DNS_PREFIX,
    "expected a DNS prefix: 1-54 letters, digits and '-', starting and ending alphanumeric",
    "Use letters, digits and dashes.",
  ).optional(),
  /** "Standard" has a financially backed API server SLA and scales the control plane; "Free" has neither (dev only); "Premium" adds long-term support. @default "Standard" */
  skuTier: z.enum(["Free", "Standard", "Premium"]).default("Standard"),
  /** The VNet and node subnet kuar creates. @default the ranges below, unless existingSubnetId is set */
  network: ownNetwork.optional(),
  /** Resource id of an existing subnet for the nodes (`/subscriptions/.../virtualNetworks/<vnet>/subnets/<subnet>`); the control plane identity is granted Network Contributor on it. @default unset: kuar creates a VNet */
  existingSubnetId: matching(
    SUBNET_ID,
    'expected a subnet resource id such as "/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>"',
    "Run: az network vnet subnet show -g <rg> --vnet-name <vnet> -n <subnet> --query id -o tsv.",
  ).optional(),
  /** Pod range of Azure CNI Overlay (not routable in the VNet; each node takes a /24). @default "10.244.0.0/16" (256 nodes) */
  podCidr: cidr.default("10.244.0.0/16"),
  /** Service ClusterIP range. @default "10.0.0.0/16" */
  serviceCidr: cidr.default("10.0.0.0/16"),
  /** ClusterIP of cluster DNS, inside serviceCidr (not its first address). @default "10.0.0.10" */
  dnsServiceIP: z.string().default("10.0.0.10"),
  /** Network policy engine. "cilium" also makes Cilium the dataplane (Azure CNI powered by Cilium). @default "cilium" */
  networkPolicy: z.enum(["cilium", "azure", "calico", "none"]).default("cilium"),
  /** The system pool (mode System, tainted CriticalAddonsOnly=true:NoSchedule unless criticalAddonsOnly is false or there are no workload pools). Cannot be spot. @default { name: "system", vmSize: "Standard_D2s_v5", minCount: 2, maxCount: 3, criticalAddonsOnly: true } */
  systemPool: systemPool.default(systemPool.parse({})),
  /** Autoscaled pools for workloads (mode User). @default one pool "general" of Standard_D4s_v5, 1 to 5 nodes */
  workloadPools: z
    .array(workloadPool)
    .max(99)
    .default([workloadPool.parse({ name: "general" })]),
  /** Kubernetes version: "1.33" (minor; AKS applies patches with the patch channel) or "1.33.2" (exact, no automatic upgrades). Exclusive with the stable and rapid channels. @default unset: the channel picks */
  kubernetesVersion: matching(
    VERSION,
    'expected a Kubernetes version such as "1.33" or "1.33.2"',
    "Run: az aks get-versions --location <location> -o table.",
  ).optional(),
  /** How AKS upgrades the cluster: "patch" (latest patch of the pinned minor), "stable" (N-1 minor), "rapid" (latest), "node-image" (node images only), "none". @default "stable", or with kubernetesVersion "patch" (minor pin) / "none" (exact pin) */
  autoUpgradeChannel: z.enum(["patch", "stable", "rapid", "node-image", "none"]).optional(),
  /** How node OS images get security updates. @default "NodeImage" (weekly node images) */
  nodeOsUpgradeChannel: z.enum(["NodeImage", "SecurityPatch", "Unmanaged", "None"]).default("NodeImage"),
  /** The API server gets a private IP in the VNet only; Pulumi must then run from a network that reaches it. @default false */
  privateCluster: z.boolean().default(false),
  /** Source ranges allowed to reach a public API server (e.g. your office or CI egress). Not allowed with privateCluster. @default [] (any address; Entra ID authentication still required) */
  authorizedIpRanges: z.array(cidr).max(200).default([]),
  /** Refuse a public API server open to every address (authorizedIpRanges empty). @default false */
  requireAuthorizedRanges: z.boolean().default(false),
  /** Entra ID group object ids whose members are cluster admins. @default [] */
  adminGroupObjectIds: z
    .array(
      matching(
        new RegExp(`^${GUID}$`),
        "expected an Entra ID group object id (a GUID)",
        "Run: az ad group show -g <group> --query id -o tsv.",
      ),
    )
    .default([]),
  /** Grant the identity running Pulumi "Azure Kubernetes Service RBAC Cluster Admin" on the cluster, so bootstrap can deploy (Azure RBAC is on and local accounts are off). @default true */
  grantDeployerClusterAdmin: z.boolean().default(true),
  /** Principal type of the identity running Pulumi, stated on its role assignment (ARM refuses a mismatch with UnmatchedPrincipalType). Set "ServicePrincipal" when az CLI is signed in as a service principal (az login --service-principal). @default "User" for kubeloginMode azurecli, "ServicePrincipal" for workloadidentity, spn and msi */
  deployerPrincipalType: z.enum(["User", "ServicePrincipal"]).optional(),
  /** How the kubeconfig's `kubelogin get-token` signs in: "azurecli" (your az login), "workloadidentity" (CI with federated credentials), "spn" (service principal from AAD_SERVICE_PRINCIPAL_CLIENT_ID/SECRET), "msi" (a managed identity on the machine). @default "azurecli" */
  kubeloginMode: z.enum(["azurecli", "workloadidentity", "spn", "msi"]).default("azurecli"),
  /** When AKS may upgrade the cluster and node images (both aksManaged schedules), in UTC. @default unset: AKS picks any time */
  maintenanceWindow: maintenanceWindow.optional(),
  /** Node auto-provisioning (AKS's managed Karpenter, nodeProvisioningProfile mode Auto): AKS adds right-sized nodes for pending pods. The pools then keep a fixed size (minCount), because AKS refuses it on pools with the cluster autoscaler. @default false */
  nodeAutoProvisioning: z.boolean().default(false),
  /** A CanNotDelete lock (on the resource group kuar created, else on the cluster) and Pulumi protection of the cluster. Always off for ephemeral stacks. @default true */
  deletionProtection: z.boolean().default(true),
  /** Tags on every Azure resource kuar creates (cost reports). @default {} (plus managed-by: kuar) */
  tags: z.record(z.string().min(1).max(512), z.string().max(256)).default({}),
});

type Raw = z.output<typeof settingsObject>;
type Issue = (path: (string | number)[], input: unknown, message: string, fixText: string) => void;

function crossCheck(s: Raw, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], input: unknown, message: string, fixText: string) =>
    ctx.addIssue({ code: "custom", path, input, message, params: { fix: fixText } });

  if (s.resourceGroupName !== undefined && s.existingResourceGroup !== undefined) {
    issue(
      ["existingResourceGroup"],
      s.existingResourceGroup,
      `cannot be set together with resourceGroupName (${s.resourceGroupName})`,
      "Keep resourceGroupName to let kuar create the group, or existingResourceGroup to use yours; remove the other.",
    );
  }
  if (s.network !== undefined && s.existingSubnetId !== undefined) {
    issue(
      ["network"],
      s.network,
      "cannot be set together with existingSubnetId (an existing subnet's ranges are not kuar's to choose)",
      "Remove network to use the existing subnet, or remove existingSubnetId to let kuar create a VNet.",
    );
  }

  checkPools(
    ctx,
    [
      {
        path: ["systemPool"],
        name: s.systemPool.name,
        min: s.systemPool.minCount,
        max: s.systemPool.maxCount,
        system: true,
      },
      ...s.workloadPools.map((p, i) => ({
        path: ["workloadPools", i],
        name: p.name,
        min: p.minCount,
        max: p.maxCount,
        system: false,
      })),
    ],
    { section: "aks", min: "minCount", max: "maxCount" },
  );
  checkScheduling(s, issue);
  if (s.nodeAutoProvisioning && s.networkPolicy === "calico") {
    issue(
      ["networkPolicy"],
      s.networkPolicy,
      "cannot be calico with nodeAutoProvisioning: AKS node auto-provisioning does not support Calico network policy",
      "Keep the default cilium (pulumi config rm --path 'kuar:aks.networkPolicy'), or set nodeAutoProvisioning to false.",
    );
  }
  if (s.nodeAutoProvisioning) {
    const fixed: [(string | number)[], { minCount: number; maxCount: number }][] = [
      [["systemPool"], s.systemPool],
      ...s.workloadPools.map((p, i): [(string | number)[], WorkloadPoolSettings] => [["workloadPools", i], p]),
    ];
    for (const [path, p] of fixed) {
      if (p.maxCount !== p.minCount) {
        issue(
          [...path, "maxCount"],
          p.maxCount,
          `must equal minCount (${p.minCount}) with nodeAutoProvisioning: AKS refuses node auto-provisioning on a cluster whose pools run the cluster autoscaler, so these pools keep a fixed size`,
          `Set ${path.join(".")}.maxCount to ${p.minCount} (auto-provisioned nodes add the capacity), or set nodeAutoProvisioning to false.`,
        );
      }
    }
  }

  if (s.privateCluster && s.authorizedIpRanges.length > 0) {
    issue(
      ["authorizedIpRanges"],
      s.authorizedIpRanges,
      "only apply to a public API server; a private cluster's API server has no public address to restrict",
      "Remove authorizedIpRanges (reach a private cluster through its VNet), or set privateCluster to false.",
    );
  }
  if (s.requireAuthorizedRanges && !s.privateCluster && s.authorizedIpRanges.length === 0) {
    issue(
      ["authorizedIpRanges"],
      s.authorizedIpRanges,
      "must list at least one range: requireAuthorizedRanges is on and the API server is public",
      'Add the ranges you run Pulumi and kubectl from, e.g. ["203.0.113.0/24"], or set privateCluster to true.',
    );
  }

  const channel = s.autoUpgradeChannel;
  if (s.kubernetesVersion !== undefined && (channel === "stable" || channel === "rapid")) {
    issue(
      ["autoUpgradeChannel"],
      channel,
      `cannot be combined with kubernetesVersion (${s.kubernetesVersion}): the channel moves the version, the pin would move it back`,
      'Remove kubernetesVersion to follow the channel, or use "patch" (with a minor such as "1.33") or "none".',
    );
  }
  if (s.kubernetesVersion?.split(".").length === 3 && channel === "patch") {
    issue(
      ["kubernetesVersion"],
      s.kubernetesVersion,
      "is an exact version, but the patch channel upgrades patches",
      `Pin the minor only ("${s.kubernetesVersion.split(".").slice(0, 2).join(".")}"), or set autoUpgradeChannel to "none".`,
    );
  }

  if (channel === "node-image" && s.nodeOsUpgradeChannel !== "NodeImage") {
    issue(
      ["nodeOsUpgradeChannel"],
      s.nodeOsUpgradeChannel,
      'must be "NodeImage" when autoUpgradeChannel is "node-image" (AKS refuses any other node OS channel with it)',
      'Set nodeOsUpgradeChannel to NodeImage, or pick another autoUpgradeChannel such as "patch" or "stable".',
    );
  }
  if (s.kubernetesVersion !== undefined && pastEndOfLife(s.kubernetesVersion)) {
    issue(
      ["kubernetesVersion"],
      s.kubernetesVersion,
      `is past its end of life on AKS, which creates no cluster on it (the oldest minor AKS listed on ${AKS_VERSIONS_RECORDED} is ${AKS_OLDEST_MINOR})`,
      "Run: az aks get-versions --location <location> -o table, and pin a listed minor (or remove kubernetesVersion to follow the channel).",
    );
  }

  checkRanges(s, issue, ctx);
}

/** Kubernetes' rule: kuar's own pods tolerate no taint, so some pool able to grow must carry none. */
function checkScheduling(s: Raw, issue: Issue): void {
  const critical = s.systemPool.criticalAddonsOnly && s.workloadPools.length > 0;
  const pools = [
    {
      name: s.systemPool.name,
      max: s.systemPool.maxCount,
      taints: poolTaints({ ...s.systemPool, spot: false, mode: "System" }, critical),
    },
    ...s.workloadPools.map((p) => ({
      name: p.name,
      max: p.maxCount,
      taints: poolTaints({ ...p, mode: "User" }, false),
    })),
  ];
  if (s.nodeAutoProvisioning || schedulablePools(pools).length > 0) return;
  issue(
    ["workloadPools"],
    s.workloadPools.map((p) => p.name),
    "leave kuar's pods nowhere to run: every pool is tainted (the system pool CriticalAddonsOnly, spot pools kubernetes.azure.com/scalesetpriority=spot, or configured taints) and kuar's pods tolerate none",
    "Add an on-demand pool without taints (pulumi config set --path 'kuar:aks.workloadPools[1].name' general), or let the system pool run workloads: pulumi config set --path 'kuar:aks.systemPool.criticalAddonsOnly' false.",
  );
}

// Messages name the value checked: a defaulted range is not in the raw input, so "got" shows nothing.
function checkRanges(s: Raw, issue: Issue, ctx: z.RefinementCtx): void {
  const net = s.existingSubnetId ? undefined : (s.network ?? ownNetwork.parse({}));
  if (net && parseCidr(net.vnetCidr) && parseCidr(net.subnetCidr) && !cidrContains(net.vnetCidr, net.subnetCidr)) {
    issue(
      ["network", "subnetCidr"],
      net.subnetCidr,
      `(${net.subnetCidr}) must lie inside network.vnetCidr (${net.vnetCidr})`,
      "Pick a subnet range inside the VNet's address space.",
    );
  }
  const naming: z.RefinementCtx = {
    ...ctx,
    addIssue: (i) =>
      ctx.addIssue(typeof i === "string" ? i : { ...i, message: `(${String(i.input)}) ${i.message ?? ""}` }),
  };
  checkNoOverlap(naming, [
    ...(net ? [{ path: ["network", "vnetCidr"], cidr: net.vnetCidr }] : []),
    { path: ["podCidr"], cidr: s.podCidr },
    { path: ["serviceCidr"], cidr: s.serviceCidr },
  ]);
  for (const key of ["podCidr", "serviceCidr"] as const) {
    const reserved = AKS_RESERVED_RANGES.find((r) => cidrsOverlap(r, s[key]));
    if (reserved) {
      issue(
        [key],
        s[key],
        `(${s[key]}) overlaps ${reserved}, which AKS reserves`,
        "Pick a range in 10.0.0.0/8 or 192.168.0.0/16.",
      );
    }
  }

  const dns = parseIPv4(s.dnsServiceIP);
  const svc = parseCidr(s.serviceCidr);
  const suggestion = svc ? `Use ${formatIPv4(svc.base + 10)}.` : "Use the .10 address of serviceCidr.";
  if (dns === undefined) {
    issue(
      ["dnsServiceIP"],
      s.dnsServiceIP,
      'expected an IPv4 address such as "10.0.0.10"',
      "Write four octets separated by dots.",
    );
  } else if (svc && (dns < svc.base || dns >= svc.base + 2 ** (32 - svc.prefix))) {
    issue(
      ["dnsServiceIP"],
      s.dnsServiceIP,
      `(${s.dnsServiceIP}) must lie inside serviceCidr (${s.serviceCidr})`,
      suggestion,
    );
  } else if (svc && dns - svc.base < 2) {
    issue(
      ["dnsServiceIP"],
      s.dnsServiceIP,
      `(${s.dnsServiceIP}) must not be serviceCidr's network address or its first address (the kubernetes Service takes it)`,
      suggestion,
    );
  }

  const pods = parseCidr(s.podCidr);
  const maxNodes = s.systemPool.maxCount + s.workloadPools.reduce((n, p) => n + p.maxCount, 0);
  if (pods && pods.prefix > 24) {
    issue(
      ["podCidr"],
      s.podCidr,
      "must be a /24 or larger (each node takes a /24)",
      'Use a range such as "10.244.0.0/16".',
    );
  } else if (pods && 2 ** (24 - pods.prefix) < maxNodes) {
    issue(
      ["podCidr"],
      s.podCidr,
      `(${s.podCidr}) holds Pod ranges for ${2 ** (24 - pods.prefix)} nodes (each node takes a /24), but the pools allow ${maxNodes}`,
      "Use a larger range (a smaller prefix length), or lower maxCount.",
    );
  }
}

export type AksNetwork =
  { kind: "create"; vnetCidr: string; subnetCidr: string } | { kind: "existing"; subnetId: string };

export type UpgradeChannel = "patch" | "stable" | "rapid" | "node-image" | "none";

export type ResolvedPool = WorkloadPoolSettings & {
  mode: "System" | "User";
  arch: "amd64" | "arm64";
};

/** The channel a config implies: stable unless a version is pinned (minor -> patch, exact -> none). */
export function resolveChannel(version: string | undefined, channel: UpgradeChannel | undefined): UpgradeChannel {
  if (channel !== undefined) return channel;
  if (version === undefined) return "stable";
  return version.split(".").length === 2 ? "patch" : "none";
}

/** `kuar:aks`, validated and with every default resolved (names derived from the stack come later). */
export const settings = settingsObject.superRefine(crossCheck).transform((s) => {
  const {
    network,
    existingSubnetId,
    systemPool: sys,
    workloadPools,
    autoUpgradeChannel,
    deployerPrincipalType,
    ...rest
  } = s;
  const { criticalAddonsOnly, spot: _spot, ...pool } = sys;
  const net: AksNetwork = existingSubnetId
    ? { kind: "existing", subnetId: existingSubnetId }
    : { kind: "create", ...(network ?? ownNetwork.parse({})) };
  return {
    ...rest,
    network: net,
    autoUpgradeChannel: resolveChannel(s.kubernetesVersion, autoUpgradeChannel),
    deployerPrincipalType: deployerPrincipalType ?? principalTypeOf(s.kubeloginMode),
    systemPool: { ...pool, mode: "System", spot: false, arch: archOfVmSize(pool.vmSize) } satisfies ResolvedPool,
    /** Whether the system pool carries the CriticalAddonsOnly taint. */
    systemPoolCriticalAddonsOnly: criticalAddonsOnly && workloadPools.length > 0,
    workloadPools: workloadPools.map((p): ResolvedPool => ({ ...p, mode: "User", arch: archOfVmSize(p.vmSize) })),
  };
});

export type AksSettings = z.output<typeof settings>;
