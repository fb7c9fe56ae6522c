import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import type { AksCluster } from "../../../providers/aks/cluster.js";
import { recordGraph } from "../../../kit/graph.js";
import { secretOf, useMocks, valueOf, type RecordedResource } from "../../../kit/mocks.js";

const SUBSCRIPTION = "00000000-0000-0000-0000-00000000aaaa";
const TENANT = "11111111-2222-3333-4444-555555555555";
const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n").toString("base64");

/** What AKS returns for an Entra ID cluster, plus credentials it must never leak into kuar's kubeconfig. */
const userCredentials = Buffer.from(
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: c",
    "  cluster:",
    `    certificate-authority-data: ${CA}`,
    "    server: https://ignored.example:443",
    "users:",
    "- name: u",
    "  user:",
    "    token: leaked-token",
    "    client-key-data: leaked-key",
    "    password: leaked-password",
  ].join("\n"),
).toString("base64");

/** The system pool `getAgentPool` finds, by cluster name; absent clusters answer as ARM does (ResourceNotFound). */
const livePools = new Map<string, Record<string, unknown>>();

const graph = recordGraph();
const mocks = await useMocks({
  invokes: {
    "azure-native:containerservice:getAgentPool": (inputs) => {
      const live = livePools.get(String(inputs["resourceName"]));
      if (!live) {
        // The engine hands an invoke's failure to the program as gRPC `details`, which the SDK rethrows.
        const details = `ResourceNotFound: The Resource 'Microsoft.ContainerService/managedClusters/${inputs["resourceName"]}' was not found.`;
        throw Object.assign(new Error(details), { details });
      }
      return live;
    },
    "azure-native:authorization:getClientConfig": () => ({
      clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
      objectId: "deployer-object-id",
      subscriptionId: SUBSCRIPTION,
      tenantId: TENANT,
    }),
    "azure-native:containerservice:listManagedClusterUserCredentials": () => ({
      kubeconfigs: [{ name: "clusterUser", value: userCredentials }],
    }),
  },
  outputs: (r) => {
    if (r.type === "azure-native:containerservice:ManagedCluster") {
      const n = r.inputs["resourceName"];
      return {
        name: n,
        fqdn: `${n}-dns.hcp.westeurope.azmk8s.io`,
        privateFQDN: `${n}-dns.privatelink.westeurope.azmk8s.io`,
        aadProfile: { ...r.inputs["aadProfile"], tenantID: TENANT },
        oidcIssuerProfile: { enabled: true, issuerURL: `https://westeurope.oic.prod-aks.azure.com/${TENANT}/x/` },
      };
    }
    if (r.type === "azure-native:resources:ResourceGroup") return { name: r.inputs["resourceGroupName"] };
    if (r.type === "azure-native:network:VirtualNetwork") return { name: r.inputs["virtualNetworkName"] };
    return undefined;
  },
});

const { target } = await import("../../../providers/aks/index.js");
const { parseConfig, parseObject } = await import("../../../config/load.js");
const { stackFileConfig } = await import("../../../config/stack-file.js");
const { ConfigError } = await import("../../../config/errors.js");
const plan = await import("../../../providers/aks/plan.js");
const { ROLES, taintsOf } = plan;
const CRITICAL_ADDONS_TAINT = taintsOf([plan.CRITICAL_ADDONS_TAINT])[0]!;
const SPOT_TAINT = taintsOf([plan.SPOT_TAINT])[0]!;
const { AKS_SERVER_ID, caFromUserCredentials, kubeloginArgs } = await import("../../../providers/aks/kubeconfig.js");
const { archOfVmSize, regionTypo } = await import("../../../providers/aks/regions.js");
const { cidrContains: contains } = await import("../../../config/cidr.js");
const { checkSystemPool } = await import("../../../providers/aks/cluster.js");

const LOCATION = "westeurope";

type Cluster = AksCluster;

/** Builds a cluster from `kuar:aks` settings the way the program does, and waits for its children. */
async function build(name: string, aks: Record<string, unknown>, ephemeral = false): Promise<Cluster> {
  const s = target.settings.parse({ location: LOCATION, ...aks });
  const c = target.create(name, s, { stack: "dev", ephemeral, secrets: {} }) as Cluster;
  await valueOf(c.kubeconfig);
  await mocks.settle();
  return c;
}

const cluster = (name: string) => mocks.one("azure-native:containerservice:ManagedCluster", `${name}-cluster`);
const ofComponent = (name: string) => mocks.resources.filter((r) => r.name.startsWith(`${name}-`));
const typesOf = (rs: RecordedResource[]) => [...new Set(rs.map((r) => r.type))].sort();
const protectedFlag = (c: Cluster) => (c.managedCluster as unknown as { __protect?: boolean }).__protect;

describe("production defaults", async () => {
  const c = await build("prod", {});
  const mc = cluster("prod").inputs;

  test("creates resource group, identity, VNet and subnet, role grants, cluster, workload pool, lock and provider", () => {
    assert.deepEqual(typesOf(ofComponent("prod")), [
      "azure-native:authorization:ManagementLockAtResourceGroupLevel",
      "azure-native:authorization:RoleAssignment",
      "azure-native:containerservice:AgentPool",
      "azure-native:containerservice:ManagedCluster",
      "azure-native:managedidentity:UserAssignedIdentity",
      "azure-native:network:Subnet",
      "azure-native:network:VirtualNetwork",
      "azure-native:resources:ResourceGroup",
      "pulumi:providers:kubernetes",
    ]);
    assert.equal(mocks.one("azure-native:resources:ResourceGroup", "prod-rg").inputs["resourceGroupName"], "kuar-dev");
    assert.equal(mc["resourceName"], "kuar-dev");
    assert.equal(mc["dnsPrefix"], "kuar-dev");
    assert.equal(mc["location"], LOCATION);
    assert.deepEqual(mc["sku"], { name: "Base", tier: "Standard" });
    assert.equal(mc["tags"]["managed-by"], "kuar");
  });

  test("own VNet and node subnet with the default ranges", () => {
    const vnet = mocks.one("azure-native:network:VirtualNetwork", "prod-vnet").inputs;
    assert.deepEqual(vnet["addressSpace"], { addressPrefixes: ["10.224.0.0/16"] });
    const subnet = mocks.one("azure-native:network:Subnet", "prod-nodes").inputs;
    assert.equal(subnet["addressPrefix"], "10.224.0.0/20");
    assert.equal(subnet["virtualNetworkName"], "kuar-dev-vnet");
    assert.equal(mc["agentPoolProfiles"][0]["vnetSubnetID"], "prod-nodes-id");
  });

  test("Azure CNI Overlay with Cilium, pod and service ranges, DNS IP", () => {
    assert.deepEqual(mc["networkProfile"], {
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkPolicy: "cilium",
      networkDataplane: "cilium",
      podCidr: "10.244.0.0/16",
      serviceCidr: "10.0.0.0/16",
      dnsServiceIP: "10.0.0.10",
      loadBalancerSku: "standard",
      outboundType: "loadBalancer",
    });
  });

  test("Entra ID with Azure RBAC, local accounts off, OIDC issuer and Workload Identity on", () => {
    assert.equal(mc["disableLocalAccounts"], true);
    assert.equal(mc["enableRBAC"], true);
    assert.deepEqual(mc["aadProfile"], { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: [] });
    assert.deepEqual(mc["oidcIssuerProfile"], { enabled: true });
    assert.deepEqual(mc["securityProfile"]["workloadIdentity"], { enabled: true });
  });

  test("public API server without authorized ranges, stable channel with node image upgrades", () => {
    assert.deepEqual(mc["apiServerAccessProfile"], { enablePrivateCluster: false });
    assert.deepEqual(mc["autoUpgradeProfile"], { upgradeChannel: "stable", nodeOSUpgradeChannel: "NodeImage" });
    assert.equal(mc["kubernetesVersion"], undefined);
  });

  test("a user-assigned control plane identity, granted Network Contributor on the subnet", () => {
    const id = mocks.one("azure-native:managedidentity:UserAssignedIdentity", "prod-identity").inputs;
    assert.equal(id["resourceName"], "kuar-dev-control-plane");
    assert.deepEqual(mc["identity"], { type: "UserAssigned", userAssignedIdentities: ["prod-identity-id"] });
    const grant = mocks.one("azure-native:authorization:RoleAssignment", "prod-subnet-access").inputs;
    assert.equal(grant["scope"], "prod-nodes-id");
    assert.equal(grant["principalType"], "ServicePrincipal");
    assert.equal(
      grant["roleDefinitionId"],
      `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${ROLES.networkContributor}`,
    );
  });

  test("the deployer is granted AKS RBAC Cluster Admin on the cluster", () => {
    const grant = mocks.one("azure-native:authorization:RoleAssignment", "prod-deployer-admin").inputs;
    assert.equal(grant["scope"], "prod-cluster-id");
    assert.equal(grant["principalId"], "deployer-object-id");
    assert.match(grant["roleDefinitionId"], new RegExp(`/roleDefinitions/${ROLES.rbacClusterAdmin}$`));
  });

  test("system pool: mode System, CriticalAddonsOnly taint, autoscaled 2 to 3", () => {
    const sys = mc["agentPoolProfiles"];
    assert.equal(sys.length, 1);
    assert.equal(sys[0].name, "system");
    assert.equal(sys[0].mode, "System");
    assert.deepEqual(sys[0].nodeTaints, [CRITICAL_ADDONS_TAINT]);
    assert.deepEqual([sys[0].enableAutoScaling, sys[0].minCount, sys[0].maxCount, sys[0].count], [true, 2, 3, 2]);
    assert.equal(sys[0].vmSize, "Standard_D2s_v5");
    assert.equal(sys[0].osType, "Linux");
    assert.equal(sys[0].scaleSetPriority, undefined);
  });

  test("workload pool: a User AgentPool of the cluster, autoscaled, on demand", () => {
    const pool = mocks.one("azure-native:containerservice:AgentPool", "prod-pool-general").inputs;
    assert.match(pool["agentPoolName"], /^general[0-9a-f]{4}$/, "the configured name and a rotation suffix");
    assert.equal(pool["resourceName"], "kuar-dev");
    assert.equal(pool["resourceGroupName"], "kuar-dev");
    assert.equal(pool["mode"], "User");
    assert.deepEqual([pool["enableAutoScaling"], pool["minCount"], pool["maxCount"]], [true, 1, 5]);
    assert.equal(pool["scaleSetPriority"], undefined);
    assert.deepEqual(pool["upgradeSettings"], { maxSurge: "33%" });
    assert.deepEqual(pool["nodeTaints"], []);
  });

  test("deletion protection: a CanNotDelete lock on the created resource group and a protected cluster", () => {
    const lock = mocks.one("azure-native:authorization:ManagementLockAtResourceGroupLevel", "prod-lock").inputs;
    assert.equal(lock["level"], "CanNotDelete");
    assert.equal(lock["resourceGroupName"], "kuar-dev");
    assert.equal(protectedFlag(c), true);
  });

  test("kubeconfig: a secret whose user runs kubelogin, with the cluster's FQDN and CA and no credential", async () => {
    const { value, secret } = await secretOf(c.kubeconfig);
    assert.equal(secret, true);
    const doc = parse(value);
    assert.equal(doc.clusters[0].cluster.server, "https://kuar-dev-dns.hcp.westeurope.azmk8s.io:443");
    assert.equal(doc.clusters[0].cluster["certificate-authority-data"], CA);
    const user = doc.users[0].user;
    assert.deepEqual(Object.keys(user), ["exec"]);
    assert.equal(user.exec.command, "kubelogin");
    assert.deepEqual(user.exec.args, ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_ID]);
    assert.equal(user.exec.apiVersion, "client.authentication.k8s.io/v1beta1");
    assert.equal(doc["current-context"], "kuar-dev");
    assert.doesNotMatch(value, /leaked|token:|client-key|client-certificate|password/);
  });

  test("the CA comes from listManagedClusterUserCredentials of this cluster (exec format)", () => {
    const calls = mocks.invoked.filter(
      (i) => i.token === "azure-native:containerservice:listManagedClusterUserCredentials",
    );
    assert.ok(
      calls.some((i) => i.inputs["resourceName"] === "kuar-dev" && i.inputs["resourceGroupName"] === "kuar-dev"),
    );
    assert.ok(calls.every((i) => i.inputs["format"] === "exec"));
  });

  test("the Kubernetes provider: clusterIdentifier is the cluster's resource id, a child of the component", async () => {
    const p = mocks.one("pulumi:providers:kubernetes", "prod-k8s");
    assert.equal(p.inputs["clusterIdentifier"], "prod-cluster-id");
    assert.match(await valueOf(c.provider.urn), /kuar:providers:AksCluster\$pulumi:providers:kubernetes::prod-k8s$/);
    assert.equal(await valueOf(c.clusterId), "prod-cluster-id");
  });

  test("capabilities", async () => {
    assert.deepEqual(c.capabilities, {
      loadBalancer: "cloud",
      defaultStorageClass: "managed-csi",
      arch: "amd64",
      dns: true,
      metricsServer: true,
      online: true,
      runsContainers: true,
      nodes: 3,
    });
    assert.equal(await valueOf(c.name), "kuar-dev");
  });
});

describe("pools", async () => {
  const c = await build("pools", {
    systemPool: {
      vmSize: "Standard_D2ps_v5",
      minCount: 1,
      maxCount: 2,
      taints: [{ key: "ops", effect: "NoSchedule" }],
    },
    workloadPools: [
      {
        name: "spot",
        vmSize: "Standard_D4ps_v5",
        spot: true,
        minCount: 0,
        maxCount: 4,
        osDiskSizeGB: 64,
        labels: { "kuar.dev/capacity": "spot" },
        taints: [{ key: "team", value: "web", effect: "PreferNoSchedule" }],
        availabilityZones: ["1", "2"],
      },
      { name: "arm", vmSize: "Standard_E4pds_v5", minCount: 2, maxCount: 3 },
    ],
  });

  test("a spot pool: Spot priority, eviction Delete, spotMaxPrice -1, spot taint first, labels, disk, zones", () => {
    const p = mocks.one("azure-native:containerservice:AgentPool", "pools-pool-spot").inputs;
    assert.equal(p["scaleSetPriority"], "Spot");
    assert.equal(p["scaleSetEvictionPolicy"], "Delete");
    assert.equal(p["spotMaxPrice"], -1);
    assert.deepEqual(p["nodeTaints"], [SPOT_TAINT, "team=web:PreferNoSchedule"]);
    assert.deepEqual(p["nodeLabels"], { "kuar.dev/capacity": "spot", "kuar.io/node-pool": "spot" });
    assert.equal(p["osDiskSizeGB"], 64);
    assert.deepEqual(p["availabilityZones"], ["1", "2"]);
    assert.deepEqual([p["minCount"], p["maxCount"], p["count"]], [0, 4, 0]);
    assert.equal(p["upgradeSettings"], undefined);
  });

  test("the system pool keeps its own taints after CriticalAddonsOnly", () => {
    assert.deepEqual(cluster("pools").inputs["agentPoolProfiles"][0].nodeTaints, [
      CRITICAL_ADDONS_TAINT,
      "ops:NoSchedule",
    ]);
  });

  test("arch is derived from the VM sizes and nodes is the sum of minimums", () => {
    assert.equal(c.capabilities.arch, "arm64");
    assert.equal(c.capabilities.nodes, 3);
  });

  test("archOfVmSize reads the 'p' feature letter", () => {
    assert.equal(archOfVmSize("Standard_D4ps_v5"), "arm64");
    assert.equal(archOfVmSize("Standard_D2pls_v5"), "arm64");
    assert.equal(archOfVmSize("Standard_D4s_v5"), "amd64");
    assert.equal(archOfVmSize("Standard_D4as_v5"), "amd64");
    assert.equal(archOfVmSize("Standard_NC24ads_A100_v4"), "amd64");
  });

  test("taintsOf renders key=value:Effect, and key:Effect without a value", () => {
    assert.deepEqual(
      taintsOf([
        { key: "a", value: "b", effect: "NoExecute" },
        { key: "c", value: "", effect: "NoSchedule" },
      ]),
      ["a=b:NoExecute", "c:NoSchedule"],
    );
  });
});

describe("variants", () => {
  test("mixed arch across pools reports mixed", async () => {
    const c = await build("mixed", { workloadPools: [{ name: "arm", vmSize: "Standard_D4ps_v5" }] });
    assert.equal(c.capabilities.arch, "mixed");
  });

  test("ephemeral stacks get no lock and an unprotected cluster", async () => {
    const c = await build("eph", {}, true);
    assert.equal(ofComponent("eph").filter((r) => /ManagementLock/.test(r.type)).length, 0);
    assert.equal(protectedFlag(c), false);
  });

  test("deletionProtection false also drops the lock", async () => {
    await build("nolock", { deletionProtection: false });
    assert.equal(ofComponent("nolock").filter((r) => /ManagementLock/.test(r.type)).length, 0);
  });

  test("an existing resource group and subnet: nothing created for them, the lock is on the cluster only", async () => {
    const subnetId =
      "/subscriptions/22222222-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/aks";
    await build("byo", { existingResourceGroup: "shared-rg", existingSubnetId: subnetId });
    const types = typesOf(ofComponent("byo"));
    for (const t of ["resources:ResourceGroup", "network:VirtualNetwork", "network:Subnet"]) {
      assert.ok(!types.includes(`azure-native:${t}`), `${t} is not created`);
    }
    assert.equal(cluster("byo").inputs["resourceGroupName"], "shared-rg");
    assert.equal(cluster("byo").inputs["agentPoolProfiles"][0].vnetSubnetID, subnetId);
    const grant = mocks.one("azure-native:authorization:RoleAssignment", "byo-subnet-access").inputs;
    assert.equal(grant["scope"], subnetId);
    assert.match(grant["roleDefinitionId"], /^\/subscriptions\/22222222-0000-0000-0000-000000000000\/providers\//);
    const lock = mocks.one("azure-native:authorization:ManagementLockByScope", "byo-lock").inputs;
    assert.equal(lock["scope"], "byo-cluster-id");
    assert.equal(lock["level"], "CanNotDelete");
  });

  test("a private cluster: enablePrivateCluster, no ranges, kubeconfig on the private FQDN", async () => {
    const c = await build("priv", { privateCluster: true, clusterName: "kuar-priv" });
    assert.deepEqual(cluster("priv").inputs["apiServerAccessProfile"], { enablePrivateCluster: true });
    const doc = parse(await valueOf(c.kubeconfig));
    assert.equal(doc.clusters[0].cluster.server, "https://kuar-priv-dns.privatelink.westeurope.azmk8s.io:443");
  });

  test("authorized IP ranges restrict a public API server", async () => {
    await build("ranges", { authorizedIpRanges: ["203.0.113.0/24"], requireAuthorizedRanges: true });
    assert.deepEqual(cluster("ranges").inputs["apiServerAccessProfile"], {
      enablePrivateCluster: false,
      authorizedIPRanges: ["203.0.113.0/24"],
    });
  });

  test("a minor version pin follows the patch channel and pins every pool", async () => {
    await build("pin", { kubernetesVersion: "1.33" });
    const mc = cluster("pin").inputs;
    assert.equal(mc["kubernetesVersion"], "1.33");
    assert.equal(mc["autoUpgradeProfile"]["upgradeChannel"], "patch");
    assert.equal(mc["agentPoolProfiles"][0].orchestratorVersion, "1.33");
    assert.equal(
      mocks.one("azure-native:containerservice:AgentPool", "pin-pool-general").inputs["orchestratorVersion"],
      "1.33",
    );
  });

  test("an exact version pin turns automatic upgrades off", () => {
    const s = target.settings.parse({ location: LOCATION, kubernetesVersion: "1.33.2" });
    assert.equal(s.autoUpgradeChannel, "none");
  });

  test("without workload pools the system pool is not tainted", async () => {
    await build("solo", { workloadPools: [] });
    assert.deepEqual(cluster("solo").inputs["agentPoolProfiles"][0].nodeTaints, []);
  });

  test("criticalAddonsOnly false leaves the system pool open to workloads", async () => {
    await build("open", { systemPool: { criticalAddonsOnly: false } });
    assert.deepEqual(cluster("open").inputs["agentPoolProfiles"][0].nodeTaints, []);
  });

  test("admin groups, tags, SKU tier and network policy pass through", async () => {
    const group = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    await build("opts", {
      adminGroupObjectIds: [group],
      tags: { env: "dev" },
      skuTier: "Free",
      networkPolicy: "calico",
      grantDeployerClusterAdmin: false,
    });
    const mc = cluster("opts").inputs;
    assert.deepEqual(mc["aadProfile"]["adminGroupObjectIDs"], [group]);
    assert.deepEqual(mc["tags"], { env: "dev", "managed-by": "kuar" });
    assert.equal(mc["sku"]["tier"], "Free");
    assert.equal(mc["networkProfile"]["networkPolicy"], "calico");
    assert.equal(mc["networkProfile"]["networkDataplane"], "azure");
    assert.equal(ofComponent("opts").filter((r) => r.name === "opts-deployer-admin").length, 0);
  });

  test("kubeloginMode spn passes the tenant; workloadidentity does not need it", async () => {
    const c = await build("spn", { kubeloginMode: "spn", clusterName: "kuar-spn" });
    const doc = parse(await valueOf(c.kubeconfig));
    assert.deepEqual(doc.users[0].user.exec.args, [
      "get-token",
      "--login",
      "spn",
      "--server-id",
      AKS_SERVER_ID,
      "--tenant-id",
      TENANT,
    ]);
    assert.deepEqual(kubeloginArgs("workloadidentity", TENANT), [
      "get-token",
      "--login",
      "workloadidentity",
      "--server-id",
      AKS_SERVER_ID,
    ]);
  });
});

describe("pure helpers", () => {
  test("caFromUserCredentials keeps the CA only, and fails clearly without one", () => {
    assert.equal(caFromUserCredentials([{ name: "u", value: userCredentials }]), CA);
    assert.throws(
      () => caFromUserCredentials([{ value: Buffer.from("clusters: []").toString("base64") }]),
      /no kubeconfig with a cluster CA/,
    );
  });

  test("regionTypo catches misspellings but accepts newer numbered regions", () => {
    assert.equal(regionTypo("westeruope"), "westeurope");
    assert.equal(regionTypo("westeurope"), undefined);
    assert.equal(regionTypo("westus4"), undefined);
  });

  test("contains", () => {
    assert.equal(contains("10.0.0.0/16", "10.0.4.0/22"), true);
    assert.equal(contains("10.0.0.0/16", "10.1.0.0/22"), false);
    assert.equal(contains("10.0.0.0/16", "10.0.0.0/8"), false);
  });

  test("a location alone is a complete config", () => {
    const c = parseObject({ target: "aks", aks: { location: LOCATION } });
    assert.equal(c.target, "aks");
  });

  test("the example stack validates: dev-sized, spot workload pool, untainted system pool", () => {
    const { raw, secureKeys } = stackFileConfig(join(import.meta.dirname, "../../../stacks/Pulumi.aks-dev.yaml"));
    const c = parseConfig(raw, { isSecret: (k) => secureKeys.includes(`kuar:${k}`) });
    assert.equal(c.target, "aks");
    const s = c.settings as ReturnType<typeof target.settings.parse>;
    assert.equal(s.skuTier, "Free");
    assert.equal(s.systemPool.minCount, 1);
    assert.equal(s.systemPoolCriticalAddonsOnly, false);
    assert.deepEqual(
      s.workloadPools.map((p) => [p.name, p.spot, p.minCount]),
      [["spot", true, 0]],
    );
  });
});

/** The problems parseObject reports for `kuar:aks` settings (location defaults to a valid one). */
function problems(aks: Record<string, unknown>): string {
  try {
    parseObject({ target: "aks", aks: { location: LOCATION, ...aks } });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail("expected the config to be rejected");
}

describe("config errors", () => {
  test("fails when location is missing", () => {
    assert.throws(() => parseObject({ target: "aks", aks: {} }), /kuar:aks\.location: is required/);
  });

  test("fails when location is a display name", () => {
    const m = problems({ location: "West Europe" });
    assert.match(m, /kuar:aks\.location: expected an Azure region name such as "westeurope"/);
    assert.match(m, /got "West Europe"\. Use "westeurope"\./);
  });

  test("fails when location is misspelt", () => {
    assert.match(
      problems({ location: "westeruope" }),
      /kuar:aks\.location: is not an Azure region, got "westeruope"\. Did you mean "westeurope"\?/,
    );
  });

  test("fails when a pool's minCount exceeds maxCount", () => {
    assert.match(
      problems({ workloadPools: [{ name: "web", minCount: 4, maxCount: 2 }] }),
      /kuar:aks\.workloadPools\[0\]\.minCount: must not exceed maxCount \(2\), got 4\. Lower minCount or raise maxCount to at least 4\./,
    );
  });

  test("fails when the system pool's minimum is 0", () => {
    assert.match(
      problems({ systemPool: { minCount: 0 } }),
      /kuar:aks\.systemPool\.minCount: must be at least 1 \(cluster DNS and the cloud's own add-ons need a system node\), got 0\. Run: pulumi config set --path 'kuar:aks\.systemPool\.minCount' 1/,
    );
  });

  test("fails when pool names repeat", () => {
    assert.match(
      problems({ workloadPools: [{ name: "system" }, { name: "web" }, { name: "web" }] }),
      /kuar:aks\.workloadPools\[0\]\.name: duplicates the name of systemPool[\s\S]*kuar:aks\.workloadPools\[2\]\.name: duplicates the name of workloadPools\.1/,
    );
  });

  test("fails when a pool name has a dash or is too long", () => {
    assert.match(
      problems({ workloadPools: [{ name: "web-pool" }] }),
      /kuar:aks\.workloadPools\[0\]\.name: expected a workload pool name: 1-8 lowercase letters/,
    );
    assert.match(
      problems({ workloadPools: [{ name: "workloads1" }] }),
      /kuar:aks\.workloadPools\[0\]\.name: .*kuar adds 4 that change when the pool is rotated/,
    );
    assert.match(
      problems({ systemPool: { name: "sys-tem" } }),
      /kuar:aks\.systemPool\.name: expected an AKS node pool name/,
    );
  });

  test("fails when the system pool is asked to be spot", () => {
    assert.match(
      problems({ systemPool: { spot: true } }),
      /kuar:aks\.systemPool\.spot: must be false: AKS system pools cannot run on spot VMs, got true\. Remove it/,
    );
  });

  test("fails when a VM size is malformed", () => {
    assert.match(
      problems({ workloadPools: [{ name: "web", vmSize: "d4s_v5" }] }),
      /kuar:aks\.workloadPools\[0\]\.vmSize: expected an Azure VM size such as "Standard_D4s_v5"/,
    );
  });

  test("fails when authorized IP ranges are combined with a private cluster", () => {
    assert.match(
      problems({ privateCluster: true, authorizedIpRanges: ["203.0.113.0/24"] }),
      /kuar:aks\.authorizedIpRanges: only apply to a public API server.*Remove authorizedIpRanges/,
    );
  });

  test("fails when requireAuthorizedRanges is on and a public API server has none", () => {
    assert.match(
      problems({ requireAuthorizedRanges: true }),
      /kuar:aks\.authorizedIpRanges: must list at least one range: requireAuthorizedRanges is on and the API server is public, got \[\]/,
    );
  });

  test("fails when a CIDR is malformed", () => {
    const m = problems({ podCidr: "10.244.0.0", authorizedIpRanges: ["300.1.1.1/32"] });
    assert.match(m, /kuar:aks\.podCidr: expected an IPv4 CIDR such as "10\.0\.0\.0\/16", got "10\.244\.0\.0"/);
    assert.match(m, /kuar:aks\.authorizedIpRanges\[0\]: expected an IPv4 CIDR/);
  });

  test("fails when the pod range overlaps the VNet", () => {
    assert.match(
      problems({
        network: { vnetCidr: "10.0.0.0/8", subnetCidr: "10.1.0.0/20" },
        serviceCidr: "172.20.0.0/16",
        dnsServiceIP: "172.20.0.10",
      }),
      /kuar:aks\.podCidr: \(10\.244\.0\.0\/16\) overlaps network\.vnetCidr \(10\.0\.0\.0\/8\), got "10\.244\.0\.0\/16"\. Pick ranges that do not share addresses\./,
    );
  });

  test("fails when the service range overlaps the pod range", () => {
    assert.match(
      problems({ serviceCidr: "10.244.128.0/20", dnsServiceIP: "10.244.128.10" }),
      /kuar:aks\.serviceCidr: \(10\.244\.128\.0\/20\) overlaps podCidr \(10\.244\.0\.0\/16\)/,
    );
  });

  test("fails when a range overlaps one AKS reserves", () => {
    assert.match(
      problems({ serviceCidr: "172.30.0.0/16", dnsServiceIP: "172.30.0.10" }),
      /kuar:aks\.serviceCidr: \(172\.30\.0\.0\/16\) overlaps 172\.30\.0\.0\/16, which AKS reserves/,
    );
  });

  test("fails when the subnet lies outside the VNet", () => {
    assert.match(
      problems({ network: { vnetCidr: "10.224.0.0/16", subnetCidr: "10.225.0.0/20" } }),
      /kuar:aks\.network\.subnetCidr: \(10\.225\.0\.0\/20\) must lie inside network\.vnetCidr \(10\.224\.0\.0\/16\)/,
    );
  });

  test("fails when dnsServiceIP is outside serviceCidr or its first address", () => {
    assert.match(
      problems({ dnsServiceIP: "10.1.0.10" }),
      /kuar:aks\.dnsServiceIP: \(10\.1\.0\.10\) must lie inside serviceCidr \(10\.0\.0\.0\/16\), got "10\.1\.0\.10"\. Use 10\.0\.0\.10\./,
    );
    assert.match(
      problems({ dnsServiceIP: "10.0.0.1" }),
      /kuar:aks\.dnsServiceIP: \(10\.0\.0\.1\) must not be serviceCidr's network address or its first address/,
    );
    assert.match(problems({ dnsServiceIP: "ten" }), /kuar:aks\.dnsServiceIP: expected an IPv4 address/);
  });

  test("fails when the pod range is too small for the pools' maximum", () => {
    assert.match(
      problems({ podCidr: "10.244.0.0/22" }),
      /kuar:aks\.podCidr: \(10\.244\.0\.0\/22\) holds Pod ranges for 4 nodes \(each node takes a \/24\), but the pools allow 8/,
    );
  });

  test("fails when a version pin is combined with the stable channel", () => {
    assert.match(
      problems({ kubernetesVersion: "1.33", autoUpgradeChannel: "stable" }),
      /kuar:aks\.autoUpgradeChannel: cannot be combined with kubernetesVersion \(1\.33\)/,
    );
  });

  test("fails when an exact version is combined with the patch channel", () => {
    assert.match(
      problems({ kubernetesVersion: "1.33.2", autoUpgradeChannel: "patch" }),
      /kuar:aks\.kubernetesVersion: is an exact version, but the patch channel upgrades patches, got "1\.33\.2"\. Pin the minor only \("1\.33"\)/,
    );
  });

  test("fails when both a VNet and an existing subnet are given", () => {
    assert.match(
      problems({
        network: {},
        existingSubnetId:
          "/subscriptions/22222222-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/aks",
      }),
      /kuar:aks\.network: cannot be set together with existingSubnetId/,
    );
  });

  test("fails when an existing subnet id is malformed", () => {
    assert.match(
      problems({ existingSubnetId: "hub/aks" }),
      /kuar:aks\.existingSubnetId: expected a subnet resource id/,
    );
  });

  test("fails when both resource group settings are given", () => {
    assert.match(
      problems({ resourceGroupName: "a", existingResourceGroup: "b" }),
      /kuar:aks\.existingResourceGroup: cannot be set together with resourceGroupName \(a\)/,
    );
  });

  test("fails when a key is misspelt, with a suggestion", () => {
    assert.match(
      problems({ privateClsuter: true }),
      /kuar:aks\.privateClsuter: is not a setting kuar knows.*Did you mean "privateCluster"\?/,
    );
  });

  test("fails with every problem listed at once", () => {
    const m = problems({ location: "West Europe", systemPool: { minCount: 0 }, requireAuthorizedRanges: true });
    assert.match(m, /kuar found 3 problems/);
  });
});

describe("issue 15: what ARM accepts", () => {
  const assignment = (name: string) =>
    mocks.one("azure-native:authorization:RoleAssignment", `${name}-deployer-admin`).inputs;

  test("the deployer's role assignment states its principal type: ServicePrincipal for CI sign-ins, User for az CLI", async () => {
    // ARM rejects an assignment whose principalType does not match the principal
    // (UnmatchedPrincipalType); with no principalType it assumes User.
    for (const [mode, expected] of [
      ["azurecli", "User"],
      ["spn", "ServicePrincipal"],
      ["workloadidentity", "ServicePrincipal"],
      ["msi", "ServicePrincipal"],
    ] as const) {
      await build(`pt-${mode}`, { kubeloginMode: mode });
      assert.equal(assignment(`pt-${mode}`)["principalType"], expected, mode);
    }
    await build("pt-override", { deployerPrincipalType: "ServicePrincipal" });
    assert.equal(assignment("pt-override")["principalType"], "ServicePrincipal");
  });

  test("fails when autoUpgradeChannel node-image meets another node OS channel", () => {
    // Rule: node OS channel must be NodeImage with the node-image cluster channel
    // (hashicorp/terraform-provider-azurerm PR #21386/#22187, from the AKS API's constraint).
    assert.match(
      problems({ autoUpgradeChannel: "node-image", nodeOsUpgradeChannel: "SecurityPatch" }),
      /kuar:aks\.nodeOsUpgradeChannel: must be "NodeImage" when autoUpgradeChannel is "node-image".*got "SecurityPatch"\. Set nodeOsUpgradeChannel to NodeImage/,
    );
    assert.equal(
      target.settings.parse({ location: LOCATION, autoUpgradeChannel: "node-image" }).nodeOsUpgradeChannel,
      "NodeImage",
    );
  });

  test("fails when the pinned minor is past its end of life on AKS (recorded calendar)", () => {
    assert.match(
      problems({ kubernetesVersion: "1.27", autoUpgradeChannel: "patch" }),
      /kuar:aks\.kubernetesVersion: is past its end of life on AKS.*got "1\.27"\. Run: az aks get-versions/,
    );
    assert.doesNotThrow(() => parseObject({ target: "aks", aks: { location: LOCATION, kubernetesVersion: "1.33" } }));
  });

  test("fails when every pool is tainted, so kuar's pods could run nowhere (the wizard's old spot answer)", () => {
    assert.match(
      problems({ workloadPools: [{ name: "general", spot: true, minCount: 0, maxCount: 3 }] }),
      /kuar:aks\.workloadPools: leave kuar's pods nowhere to run.*pulumi config set --path 'kuar:aks\.systemPool\.criticalAddonsOnly' false/,
    );
    assert.doesNotThrow(() =>
      parseObject({
        target: "aks",
        aks: {
          location: LOCATION,
          systemPool: { criticalAddonsOnly: false },
          workloadPools: [{ name: "general", spot: true, minCount: 0, maxCount: 3 }],
        },
      }),
    );
  });

  test("node auto-provisioning: off by default; on, the pools keep a fixed size and fails when one autoscales", async () => {
    await build("nap-off", {});
    assert.equal(cluster("nap-off").inputs["nodeProvisioningProfile"]["mode"], "Manual");
    assert.match(
      problems({ nodeAutoProvisioning: true }),
      /kuar:aks\.systemPool\.maxCount: must equal minCount \(2\) with nodeAutoProvisioning[\s\S]*kuar:aks\.workloadPools\[0\]\.maxCount: must equal minCount \(1\)/,
    );
    await build("nap", {
      nodeAutoProvisioning: true,
      systemPool: { minCount: 2, maxCount: 2 },
      workloadPools: [{ name: "general", minCount: 1, maxCount: 1 }],
    });
    const mc = cluster("nap").inputs;
    assert.equal(mc["nodeProvisioningProfile"]["mode"], "Auto");
    assert.equal(mc["agentPoolProfiles"][0]["enableAutoScaling"], false);
    assert.equal(mc["agentPoolProfiles"][0]["count"], 2);
    assert.equal(mc["agentPoolProfiles"][0]["maxCount"], undefined);
    const pool = mocks.one("azure-native:containerservice:AgentPool", "nap-pool-general").inputs;
    assert.equal(pool["enableAutoScaling"], false);
  });

  test("fails when node auto-provisioning is combined with Calico (unsupported by AKS NAP)", () => {
    const fixed = {
      systemPool: { minCount: 2, maxCount: 2 },
      workloadPools: [{ name: "general", minCount: 1, maxCount: 1 }],
    };
    assert.match(
      problems({ nodeAutoProvisioning: true, networkPolicy: "calico", ...fixed }),
      /kuar:aks\.networkPolicy: cannot be calico with nodeAutoProvisioning[\s\S]*pulumi config rm --path 'kuar:aks\.networkPolicy'/,
    );
    for (const networkPolicy of ["cilium", "azure", "none"]) {
      assert.doesNotThrow(() =>
        parseObject({
          target: "aks",
          aks: { location: "westeurope", nodeAutoProvisioning: true, networkPolicy, ...fixed },
        }),
      );
    }
  });

  test("a maintenance window becomes both aksManaged schedules (UTC, weekly or daily)", async () => {
    await build("mw", { maintenanceWindow: { day: "Saturday", startTime: "22:30", durationHours: 6 } });
    const configs = mocks.resources.filter(
      (r) => r.type === "azure-native:containerservice:MaintenanceConfiguration" && r.name.startsWith("mw-"),
    );
    assert.deepEqual(configs.map((r) => r.inputs["configName"]).sort(), [
      "aksManagedAutoUpgradeSchedule",
      "aksManagedNodeOSUpgradeSchedule",
    ]);
    for (const r of configs) {
      assert.equal(r.inputs["resourceName"], "kuar-dev");
      assert.deepEqual(r.inputs["maintenanceWindow"], {
        durationHours: 6,
        startTime: "22:30",
        utcOffset: "+00:00",
        schedule: { weekly: { dayOfWeek: "Saturday", intervalWeeks: 1 } },
      });
    }
    assert.match(problems({ maintenanceWindow: { durationHours: 2 } }), /kuar:aks\.maintenanceWindow\.durationHours/);
  });

  test("fails at preview when the running system pool would change VM size or OS disk (AKS refuses it in place)", async () => {
    livePools.set("kuar-drift", {
      vmSize: "Standard_D2s_v5",
      osDiskSizeGB: 128,
      osDiskType: "Managed",
      osSKU: "AzureLinux",
    });
    const s = target.settings.parse({
      location: LOCATION,
      systemPool: { vmSize: "Standard_D4s_v5", osDiskSizeGB: 256 },
    });
    const args = {
      resourceGroup: { name: "kuar-dev", create: true },
      clusterName: "kuar-drift",
      systemPool: s.systemPool,
    };
    await assert.rejects(checkSystemPool(args), (e: Error) => {
      assert.match(
        e.message,
        /kuar:aks\.systemPool\.vmSize: AKS cannot change it on the running system pool "system" \(running Standard_D2s_v5, configured Standard_D4s_v5\)/,
      );
      assert.match(e.message, /kuar:aks\.systemPool\.osDiskSizeGB: .*running 128, configured 256/);
      assert.match(e.message, /pulumi config set --path 'kuar:aks\.systemPool\.vmSize' Standard_D2s_v5/);
      assert.match(e.message, /az aks nodepool add --mode System/);
      assert.doesNotMatch(e.message, /osSku|osDiskType/);
      return true;
    });
    const invoked = mocks.invoked.filter((i) => i.token === "azure-native:containerservice:getAgentPool").at(-1);
    assert.deepEqual(invoked?.inputs, {
      resourceGroupName: "kuar-dev",
      resourceName: "kuar-drift",
      agentPoolName: "system",
    });
    // Unchanged fixed fields pass; a cluster that does not exist yet passes.
    await checkSystemPool({ ...args, systemPool: { ...s.systemPool, vmSize: "Standard_D2s_v5", osDiskSizeGB: 128 } });
    await checkSystemPool({ ...args, clusterName: "kuar-new" });
    livePools.delete("kuar-drift");
  });

  test("every resource waits for the system pool check (the resource group name is gated on it)", () => {
    assert.ok(
      mocks.invoked.some(
        (i) => i.token === "azure-native:containerservice:getAgentPool" && i.inputs["resourceName"] === "kuar-dev",
      ),
      "the component asked for the running system pool",
    );
  });
});

describe("destroy order", async () => {
  const c = await build("order", {
    maintenanceWindow: { day: "Daily" },
    workloadPools: [{ name: "general" }, { name: "batch", spot: true, minCount: 0 }],
  });
  // What bootstrap and workloads put on the cluster: objects whose cloud resources need the
  // cluster's controllers to release them (a load balancer, a disk).
  const k8s = await import("@pulumi/kubernetes");
  new k8s.core.v1.Service(
    "order-lb",
    { spec: { type: "LoadBalancer", ports: [{ port: 80 }] } },
    { provider: c.provider },
  );
  new k8s.core.v1.PersistentVolumeClaim(
    "order-pvc",
    { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
    { provider: c.provider },
  );
  await mocks.settle();
  const node = (type: string, name: string) => graph.one(type, name);
  const mc = node("azure-native:containerservice:ManagedCluster", "order-cluster");
  const pools = graph.ofType("azure-native:containerservice:AgentPool").filter((n) => n.name.startsWith("order-"));
  const addons = graph
    .ofType("azure-native:containerservice:MaintenanceConfiguration")
    .filter((n) => n.name.startsWith("order-"));
  const provider = node("pulumi:providers:kubernetes", "order-k8s");
  const objects = [
    node("kubernetes:core/v1:Service", "order-lb"),
    node("kubernetes:core/v1:PersistentVolumeClaim", "order-pvc"),
  ];

  test("created cluster -> pools -> add-ons -> provider -> objects", () => {
    assert.equal(pools.length, 2);
    assert.equal(addons.length, 2);
    for (const p of pools) assert.ok(graph.dependsOn(p, mc), `${p.name} after the cluster`);
    for (const a of addons) for (const p of pools) assert.ok(graph.dependsOn(a, p), `${a.name} after ${p.name}`);
    for (const a of addons) assert.ok(graph.dependsOn(provider, a), `provider after ${a.name}`);
    for (const o of objects) assert.ok(graph.dependsOn(o, provider), `${o.name} uses the provider`);
    assert.ok(graph.dependsOn(provider, node("azure-native:authorization:RoleAssignment", "order-deployer-admin")));
  });

  test("deleted in reverse: objects, then add-ons, then pools, then the cluster; never the other way", () => {
    const order = graph.deletionOrder().map((n) => n.urn);
    const at = (n: { urn: string }) => order.indexOf(n.urn);
    for (const o of objects) {
      assert.ok(at(o) < at(provider), `${o.name} before the provider`);
      for (const a of addons) assert.ok(at(o) < at(a), `${o.name} before ${a.name}`);
    }
    for (const a of addons) for (const p of pools) assert.ok(at(a) < at(p), `${a.name} before ${p.name}`);
    for (const p of pools) assert.ok(at(p) < at(mc), `${p.name} before the cluster`);
    for (const p of pools) assert.ok(!graph.dependsOn(mc, p), "the cluster never waits for a pool");
    assert.ok(!graph.dependsOn(provider, objects[0]!), "the provider never waits for an object");
  });

  test("the subnet grant outlives the cluster (the control plane deletes its load balancers with it)", () => {
    const grant = node("azure-native:authorization:RoleAssignment", "order-subnet-access");
    assert.ok(graph.dependsOn(mc, grant));
  });
});

describe("pool rotation", () => {
  const pool = {
    name: "general",
    vmSize: "Standard_D4s_v5",
    osDiskSizeGB: 128,
    osDiskType: "Managed",
    osSku: "AzureLinux",
    availabilityZones: ["1", "2"],
    spot: false,
  };

  test("a field AKS cannot change in place renames the pool; everything else keeps the name", () => {
    const name = plan.aksPoolName(pool);
    assert.match(name, /^general[0-9a-f]{4}$/);
    assert.ok(
      /^[a-z][a-z0-9]{0,11}$/.test(plan.aksPoolName({ ...pool, name: "abcdefgh" })),
      "within AKS's 12 characters",
    );
    for (const change of [
      { vmSize: "Standard_D8s_v5" },
      { osDiskSizeGB: 256 },
      { osDiskType: "Ephemeral" },
      { osSku: "Ubuntu" },
      { availabilityZones: ["1"] },
      { spot: true },
    ]) {
      assert.notEqual(plan.aksPoolName({ ...pool, ...change }), name, JSON.stringify(change));
    }
    assert.equal(plan.aksPoolName({ ...pool, availabilityZones: ["2", "1"] }), name, "zone order does not matter");
    const scaled = { ...pool, minCount: 3, maxCount: 9, labels: { a: "b" } };
    assert.equal(plan.aksPoolName(scaled), name, "AKS changes sizes and labels in place");
  });

  test("every fixed field forces a replacement, and the replacement is created before the old pool is deleted", async () => {
    const seen = new Map<string, pulumi.CustomResourceOptions>();
    const cluster = target.create(
      "rot",
      parseObject({ target: "aks", aks: { location: "westeurope" } }).settings as Parameters<typeof target.create>[1],
      { stack: "rot", ephemeral: true, secrets: {} },
      { transformations: [(a) => void seen.set(a.name, a.opts as pulumi.CustomResourceOptions) as undefined] },
    );
    await valueOf(cluster.kubeconfig);
    await mocks.settle();
    const opts = seen.get("rot-pool-general");
    assert.ok(opts);
    assert.equal(opts.deleteBeforeReplace, false);
    assert.deepEqual([...(opts.replaceOnChanges ?? [])].sort(), [...plan.POOL_FIXED_FIELDS, "agentPoolName"].sort());
    const inputs = mocks.one("azure-native:containerservice:AgentPool", "rot-pool-general").inputs;
    assert.equal(inputs["nodeLabels"]["kuar.io/node-pool"], "general");
  });
});
