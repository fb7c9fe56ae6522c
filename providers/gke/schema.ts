/**
 * Settings of `kuar:gke`. Defaults are production-shaped (regional control plane, own VPC-native
 * network, private nodes behind Cloud NAT, Workload Identity, a least-privilege node identity,
 * the REGULAR release channel); the example stack shows dev-sized values.
 */
import { z } from "zod";
import { checkNoOverlap, cidr, labels, parseCidr, taint } from "../../config/fields.js";
import { hoursIn, maintenanceWindow } from "../cloud/maintenance.js";
import { checkPools } from "../cloud/pools.js";
import { matching } from "../../config/toolkit.js";

// A refinement rather than .regex(): zod keeps `params.fix` on custom issues only.

/** Machine families whose CPUs are Arm (Ampere Altra, Google Axion). */
export const ARM_FAMILIES = ["t2a", "c4a"] as const;
/** Machine families that attach only Hyperdisk, so their boot disk cannot be pd-balanced. */
export const HYPERDISK_ONLY_FAMILIES = ["c4", "c4a", "c4d", "n4", "n4d", "x4"] as const;

export const REGION = /^[a-z]+(-[a-z]+)+[0-9]+$/;
export const ZONE = /^[a-z]+(-[a-z]+)+[0-9]+-[a-z]$/;

/** The machine family of a machine type: `t2a-standard-4` -> `t2a`. */
export function machineFamily(machineType: string): string {
  return machineType.split("-")[0] ?? machineType;
}

/**
 * The vCPUs and the least memory (GB) of a predefined machine type such as `n2-highmem-8`, or
 * undefined for shared-core and custom types. Memory per vCPU is the smallest any family gives
 * its class (standard 3.75 GB on N1, highmem 6.5, highcpu 0.9), so sums are lower bounds.
 */
export function machineSize(machineType: string): { vcpus: number; minMemoryGb: number } | undefined {
  const m = /^[a-z0-9]+-(standard|highmem|highcpu)-(\d+)(-|$)/.exec(machineType);
  if (!m) return undefined;
  const vcpus = Number(m[2]);
  const perCpu = { standard: 3.75, highmem: 6.5, highcpu: 0.9 }[m[1] as "standard" | "highmem" | "highcpu"];
  return { vcpus, minMemoryGb: vcpus * perCpu };
}

export function archOf(machineType: string): "amd64" | "arm64" {
  return (ARM_FAMILIES as readonly string[]).includes(machineFamily(machineType)) ? "arm64" : "amd64";
}

/** An IPv4 CIDR that is also a network address (GCP rejects `10.0.0.1/16`). */
const networkCidr = cidr.superRefine((s, ctx) => {
  const c = parseCidr(s);
  if (!c) return;
  const canonical = `${[24, 16, 8, 0].map((shift) => Math.floor(c.base / 2 ** shift) % 256).join(".")}/${c.prefix}`;
  if (canonical !== s) {
    ctx.addIssue({
      code: "custom",
      input: s,
      message: "has host bits set; Google Cloud only accepts network addresses",
      params: { fix: `Use "${canonical}".` },
    });
  }
});

const machineType = matching(
  /^[a-z][a-z0-9]*-[a-z0-9-]+$/,
  'expected a Compute Engine machine type such as "e2-standard-4" or "t2a-standard-2"',
  "Run: gcloud compute machine-types list --filter=zone:<zone> and pick a name.",
);

export const nodePool = z.strictObject({
  /**
   * Node pool name, on every node as label `kuar.io/node-pool`. GKE's name adds a 4-character
   * suffix that changes when a field GKE cannot change in place (spot) changes, so the new pool
   * is created before the old one is deleted. Changing the name replaces the pool.
   */
  name: matching(
    /^[a-z]([-a-z0-9]{0,33}[a-z0-9])?$/,
    "expected a node pool name: 1-35 lowercase letters, digits and '-', starting with a letter (GKE adds a 5-character suffix)",
    "Use lowercase letters, digits and dashes, starting with a letter.",
  ),
  /** Compute Engine machine type; t2a and c4a families are arm64. @default "e2-standard-4" */
  machineType: machineType.default("e2-standard-4"),
  /** Fewest nodes in the whole pool (across zones); 0 lets a spot pool scale to nothing. @default 1 */
  minNodes: z.int().min(0).max(1000).default(1),
  /** Most nodes in the whole pool (across zones), the autoscaler's ceiling. @default 3 */
  maxNodes: z.int().min(1).max(1000).default(3),
  /** Spot VMs: up to 60-91% cheaper, reclaimable at any time with 30 s notice. @default false */
  spot: z.boolean().default(false),
  /** Boot disk size per node in GB. @default 100 */
  diskSizeGb: z.int().min(10).max(65536).default(100),
  /** Boot disk type. @default "pd-balanced", or "hyperdisk-balanced" on Hyperdisk-only families (c4, c4a, n4, ...) */
  diskType: z.enum(["pd-standard", "pd-balanced", "pd-ssd", "hyperdisk-balanced"]).optional(),
  /** Kubernetes labels on every node of the pool. @default {} */
  labels: labels.default({}),
  /** Kubernetes taints on every node of the pool. @default [] */
  taints: z.array(taint).default([]),
});
export type NodePoolSettings = z.output<typeof nodePool>;

const authorizedNetwork = z.strictObject({
  /** Source range allowed to reach the control plane, e.g. an office or VPN egress range. */
  cidr: networkCidr,
  /** Shown in the console. @default the CIDR */
  displayName: z.string().max(100).optional(),
});

const ownNetwork = z.strictObject({
  /** Primary range of the subnet the nodes live in. @default "10.0.0.0/20" (4,092 nodes) */
  subnetCidr: networkCidr.default("10.0.0.0/20"),
  /** Secondary range for Pod IPs; each node takes a /24. @default "10.4.0.0/14" (1,024 nodes) */
  podsCidr: networkCidr.default("10.4.0.0/14"),
  /** Secondary range for Service ClusterIPs. @default "10.8.0.0/20" (4,096 Services) */
  servicesCidr: networkCidr.default("10.8.0.0/20"),
});

const NETWORK_REF =
  /^(https:\/\/www\.googleapis\.com\/compute\/v1\/)?projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/global\/networks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBNETWORK_REF =
  /^(https:\/\/www\.googleapis\.com\/compute\/v1\/)?projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/regions\/([a-z]+(-[a-z]+)+[0-9]+)\/subnetworks\/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

const existingNetwork = z.strictObject({
  /** Self-link or id of the VPC, e.g. `projects/<p>/global/networks/<n>`. */
  network: matching(
    NETWORK_REF,
    'expected a network self-link or id such as "projects/my-project/global/networks/my-vpc"',
    "Run: gcloud compute networks describe <name> --format='value(selfLink)'.",
  ),
  /** Self-link or id of a subnet in the cluster's region, e.g. `projects/<p>/regions/<r>/subnetworks/<s>`. */
  subnetwork: matching(
    SUBNETWORK_REF,
    'expected a subnetwork self-link or id such as "projects/my-project/regions/europe-west1/subnetworks/nodes"',
    "Run: gcloud compute networks subnets describe <name> --region <region> --format='value(selfLink)'.",
  ),
  /** Name of the subnet's secondary range for Pods. */
  podsRangeName: z.string().min(1),
  /** Name of the subnet's secondary range for Services. */
  servicesRangeName: z.string().min(1),
});

const PROJECT = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
const VERSION = /^1\.\d+\.\d+-gke\.\d+$/;

const settingsObject = z.strictObject({
  /** Google Cloud project id (not its name or number). Required. */
  project: matching(
    PROJECT,
    "expected a project id: 6-30 characters, lowercase letters, digits and '-', starting with a letter",
    "Run: gcloud projects list and copy the PROJECT_ID column.",
  ),
  /** Region of a regional cluster (control plane replicated across zones). Set this or `zone`. */
  region: matching(
    REGION,
    'expected a region such as "europe-west1"',
    "Run: gcloud compute regions list. For a zone such as europe-west1-b, set zone instead.",
  ).optional(),
  /** Zone of a zonal cluster (one control plane replica; cheaper, not highly available). Set this or `region`. */
  zone: matching(ZONE, 'expected a zone such as "europe-west1-b"', "Run: gcloud compute zones list.").optional(),
  /** GKE cluster name. @default "kuar-<stack>" (at most 40 characters) */
  clusterName: matching(
    /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/,
    "expected a GKE cluster name: 1-40 lowercase letters, digits and '-', starting with a letter",
    "Use lowercase letters, digits and dashes, starting with a letter.",
  ).optional(),
  /** A VPC-native network kuar creates (VPC, subnet, secondary ranges, Cloud NAT for private nodes). @default the ranges below, unless `existingNetwork` is set */
  network: ownNetwork.optional(),
  /** Use an existing VPC and subnet (with Pod and Service secondary ranges) instead of creating one. @default unset: kuar creates the network */
  existingNetwork: existingNetwork.optional(),
  /** The system node pool (cluster add-ons; not tainted, so it also runs workloads unless you add taints). @default { name: "system", machineType: "e2-standard-2", minNodes: 1, maxNodes: 3 } */
  systemPool: nodePool
    .extend({ name: nodePool.shape.name.default("system"), machineType: machineType.default("e2-standard-2") })
    .default({
      name: "system",
      machineType: "e2-standard-2",
      minNodes: 1,
      maxNodes: 3,
      spot: false,
      diskSizeGb: 100,
      labels: {},
      taints: [],
    }),
  /** Node pools for workloads. @default one pool "general" of e2-standard-4, 1 to 5 nodes */
  workloadPools: z.array(nodePool).default([
    {
      name: "general",
      machineType: "e2-standard-4",
      minNodes: 1,
      maxNodes: 5,
      spot: false,
      diskSizeGb: 100,
      labels: {},
      taints: [],
    },
  ]),
  /** Pin an exact GKE version (no release channel; nodes do not auto-upgrade). Exclusive with `releaseChannel`. @default unset */
  kubernetesVersion: matching(
    VERSION,
    'expected an exact GKE version such as "1.33.5-gke.1080000"',
    "Run: gcloud container get-server-config --region <region> and pick a validMasterVersions entry.",
  ).optional(),
  /** Release channel GKE upgrades the cluster along. Exclusive with `kubernetesVersion`. @default "REGULAR" (unless kubernetesVersion is set) */
  releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).optional(),
  /** Nodes get internal IPs only; egress goes through Cloud NAT (created with an own network). @default true */
  privateNodes: z.boolean().default(true),
  /** The control plane is reachable on its private IP only (needs private nodes and authorized networks). @default false */
  privateEndpoint: z.boolean().default(false),
  /** Ranges allowed to reach the control plane. Required when `privateEndpoint` is true. @default [] (public endpoint open to any address; authentication still required) */
  masterAuthorizedNetworks: z.array(authorizedNetwork).max(50).default([]),
  /** The control plane's /28 for private nodes; must not overlap the network's ranges. @default "172.16.0.0/28" */
  masterCidr: networkCidr.default("172.16.0.0/28"),
  /** How the kubeconfig's gke-gcloud-auth-plugin gets its token: "gcloud" (your gcloud login, which the plugin runs `gcloud config config-helper` for) or "adc" (application default credentials with --use_application_default_credentials: a CI runner with only GOOGLE_APPLICATION_CREDENTIALS or workload identity federation, no gcloud). @default "gcloud" */
  kubeconfigAuth: z.enum(["gcloud", "adc"]).default("gcloud"),
  /** When GKE may upgrade and maintain the cluster, in UTC. GKE needs at least 48 hours of windows in any 32 days (a weekly window of 12 hours or more, or a daily one). @default unset: GKE picks any time */
  maintenanceWindow: maintenanceWindow.optional(),
  /** Node auto-provisioning: GKE creates node pools for pending pods, within these cluster-wide limits (which also cap the pools' own autoscaling). @default unset: off */
  nodeAutoProvisioning: z
    .strictObject({
      /** Most vCPUs in the whole cluster. */
      maxCpu: z.int().min(1).max(100000),
      /** Most memory in the whole cluster, in GB. */
      maxMemoryGb: z.int().min(1).max(1000000),
    })
    .optional(),
  /** Labels on the cluster resource (billing breakdowns). @default {} */
  resourceLabels: z
    .record(
      matching(
        /^[a-z][-_a-z0-9]{0,62}$/,
        "expected a GCP label key",
        "Use lowercase letters, digits, '-' and '_', starting with a letter.",
      ),
      matching(
        /^[-_a-z0-9]{0,63}$/,
        "expected a GCP label value",
        "Use at most 63 lowercase letters, digits, '-' and '_'.",
      ),
    )
    .default({}),
});

type Raw = z.output<typeof settingsObject>;

function crossCheck(s: Raw, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], input: unknown, message: string, fixText: string) =>
    ctx.addIssue({ code: "custom", path, input, message, params: { fix: fixText } });

  if (s.region === undefined && s.zone === undefined) {
    issue(
      ["region"],
      undefined,
      "is required (set region for a regional cluster, or zone for a zonal one)",
      "Set it with: pulumi config set --path 'kuar:gke.region' europe-west1.",
    );
  }
  if (s.region !== undefined && s.zone !== undefined) {
    issue(
      ["zone"],
      s.zone,
      `cannot be set together with region (${s.region})`,
      "Keep region for a highly available control plane, or zone for a cheaper zonal cluster; remove the other.",
    );
  }
  if (s.kubernetesVersion !== undefined && s.releaseChannel !== undefined) {
    issue(
      ["releaseChannel"],
      s.releaseChannel,
      `cannot be set together with kubernetesVersion (${s.kubernetesVersion})`,
      "Remove kubernetesVersion to follow the channel, or remove releaseChannel to pin the version.",
    );
  }
  if (s.network !== undefined && s.existingNetwork !== undefined) {
    issue(
      ["network"],
      s.network,
      "cannot be set together with existingNetwork (ranges of an existing network are not kuar's to choose)",
      "Remove network to use the existing VPC, or remove existingNetwork to let kuar create one.",
    );
  }

  const pools: [(string | number)[], NodePoolSettings][] = [
    [["systemPool"], s.systemPool],
    ...s.workloadPools.map((p, i): [(string | number)[], NodePoolSettings] => [["workloadPools", i], p]),
  ];
  checkPools(
    ctx,
    pools.map(([path, p]) => ({
      path,
      name: p.name,
      min: p.minNodes,
      max: p.maxNodes,
      system: path[0] === "systemPool",
    })),
    { section: "gke", min: "minNodes", max: "maxNodes" },
  );
  for (const [path, p] of pools) {
    if (p.diskType !== undefined && p.diskType !== "hyperdisk-balanced" && isHyperdiskOnly(p.machineType)) {
      issue(
        [...path, "diskType"],
        p.diskType,
        `is not available on ${machineFamily(p.machineType)} machines, which attach only Hyperdisk`,
        'Use "hyperdisk-balanced" or remove diskType.',
      );
    }
  }
  const window = s.maintenanceWindow;
  if (window && hoursIn(window, 32) < 48) {
    issue(
      ["maintenanceWindow"],
      window,
      `allows ${hoursIn(window, 32)} hours in 32 days; GKE needs at least 48 hours of maintenance windows in any 32 days`,
      `Lengthen it: pulumi config set --path 'kuar:gke.maintenanceWindow.durationHours' 12 (weekly), or set day to Daily.`,
    );
  }

  const nap = s.nodeAutoProvisioning;
  if (nap) {
    // GKE applies the cluster-wide limits to the pools' own autoscaling as well (the
    // clusterAutoscaling.resourceLimits doc in @pulumi/gcp 9.37.0), so limits below what the
    // pools may reach stop them short of maxNodes.
    const sizes = pools.map(([, p]) => ({ size: machineSize(p.machineType), max: p.maxNodes }));
    const cpus = sizes.reduce((n, { size, max }) => n + (size?.vcpus ?? 0) * max, 0);
    const memory = Math.ceil(sizes.reduce((n, { size, max }) => n + (size?.minMemoryGb ?? 0) * max, 0));
    const limit = (key: "maxCpu" | "maxMemoryGb", have: number, need: number, what: string) => {
      if (have < need) {
        issue(
          ["nodeAutoProvisioning", key],
          have,
          `is below the ${need} ${what} the node pools may reach at maxNodes; GKE's cluster-wide limits also cap the pools' own autoscaling`,
          `Raise it: pulumi config set --path 'kuar:gke.nodeAutoProvisioning.${key}' ${need} (or more, for auto-provisioned pools), or lower the pools' maxNodes.`,
        );
      }
    };
    limit("maxCpu", nap.maxCpu, cpus, "vCPUs");
    limit("maxMemoryGb", nap.maxMemoryGb, memory, "GB of memory (at least)");
  }

  if (s.privateEndpoint && !s.privateNodes) {
    issue(
      ["privateEndpoint"],
      true,
      "needs privateNodes to be true",
      "Set privateNodes to true, or privateEndpoint to false.",
    );
  }
  if (s.privateEndpoint && s.masterAuthorizedNetworks.length === 0) {
    issue(
      ["masterAuthorizedNetworks"],
      s.masterAuthorizedNetworks,
      "must list at least one range when privateEndpoint is true (otherwise nothing can reach the control plane)",
      'Add the range you run Pulumi from, e.g. [{ "cidr": "10.0.0.0/8", "displayName": "vpn" }].',
    );
  }
  if (parseCidr(s.masterCidr)?.prefix !== 28 && parseCidr(s.masterCidr) !== undefined) {
    issue(
      ["masterCidr"],
      s.masterCidr,
      "must be a /28 (GKE reserves exactly 16 addresses for the control plane)",
      'Use a /28 such as "172.16.0.0/28".',
    );
  }

  const net = s.network ?? (s.existingNetwork ? undefined : ownNetwork.parse({}));
  const ranges = [
    ...(net
      ? [
          { path: ["network", "subnetCidr"], cidr: net.subnetCidr },
          { path: ["network", "podsCidr"], cidr: net.podsCidr },
          { path: ["network", "servicesCidr"], cidr: net.servicesCidr },
        ]
      : []),
    ...(s.privateNodes ? [{ path: ["masterCidr"], cidr: s.masterCidr }] : []),
  ];
  checkNoOverlap(ctx, ranges);

  if (net) {
    const maxNodes = pools.reduce((n, [, p]) => n + p.maxNodes, 0);
    const pods = parseCidr(net.podsCidr);
    if (pods && pods.prefix <= 24 && 2 ** (24 - pods.prefix) < maxNodes) {
      issue(
        ["network", "podsCidr"],
        net.podsCidr,
        `holds Pod ranges for ${2 ** (24 - pods.prefix)} nodes (each node takes a /24), but the pools allow ${maxNodes}`,
        "Use a larger range (a smaller prefix length), or lower maxNodes.",
      );
    } else if (pods && pods.prefix > 24) {
      issue(
        ["network", "podsCidr"],
        net.podsCidr,
        "must be a /24 or larger (each node takes a /24 of Pod addresses)",
        'Use a range such as "10.4.0.0/14".',
      );
    }
  }

  const subnetRegion = s.existingNetwork ? SUBNETWORK_REF.exec(s.existingNetwork.subnetwork)?.[2] : undefined;
  const clusterRegion = s.region ?? (s.zone ? regionOfZone(s.zone) : undefined);
  if (subnetRegion && clusterRegion && subnetRegion !== clusterRegion) {
    issue(
      ["existingNetwork", "subnetwork"],
      s.existingNetwork?.subnetwork,
      `is in ${subnetRegion}, but the cluster is in ${clusterRegion}`,
      `Pick a subnetwork in ${clusterRegion}.`,
    );
  }
}

function isHyperdiskOnly(machineType: string): boolean {
  return (HYPERDISK_ONLY_FAMILIES as readonly string[]).includes(machineFamily(machineType));
}

export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z]$/, "");
}

/** A channel, or "UNSPECIFIED" for a pinned version. */
export type ReleaseChannel = "RAPID" | "REGULAR" | "STABLE" | "UNSPECIFIED";

export type GkeNetwork =
  | { kind: "create"; subnetCidr: string; podsCidr: string; servicesCidr: string }
  | ({ kind: "existing" } & z.output<typeof existingNetwork>);

export type ResolvedPool = Omit<NodePoolSettings, "diskType"> & { diskType: string; arch: "amd64" | "arm64" };

function resolvePool(p: NodePoolSettings): ResolvedPool {
  return {
    ...p,
    diskType: p.diskType ?? (isHyperdiskOnly(p.machineType) ? "hyperdisk-balanced" : "pd-balanced"),
    arch: archOf(p.machineType),
  };
}

/** `kuar:gke`, validated and with every default resolved. */
export const settings = settingsObject.superRefine(crossCheck).transform((s) => {
  const { region, zone, network, existingNetwork: existing, kubernetesVersion, releaseChannel, ...rest } = s;
  const location = zone ?? region ?? "";
  const net: GkeNetwork = existing
    ? { kind: "existing", ...existing }
    : { kind: "create", ...(network ?? ownNetwork.parse({})) };
  const channel: ReleaseChannel = releaseChannel ?? (kubernetesVersion ? "UNSPECIFIED" : "REGULAR");
  return {
    ...rest,
    /** Region or zone the cluster lives in. */
    location,
    /** Region of the network resources. */
    region: region ?? regionOfZone(location),
    regional: zone === undefined,
    network: net,
    kubernetesVersion,
    releaseChannel: channel,
    systemPool: resolvePool(s.systemPool),
    workloadPools: s.workloadPools.map(resolvePool),
  };
});

export type GkeSettings = z.output<typeof settings>;
