import assert from "node:assert/strict";
import { test } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { recordGraph } from "../../../kit/graph.js";
import { isSecretInput, useMocks, secretOf, valueOf } from "../../../kit/mocks.js";

const PROJECT = "kuar-test-123";
const NETWORKS = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks`;
const SUBNETS = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/europe-west1/subnetworks`;
const ENDPOINT = "203.0.113.10";
const CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==";

/** What getEngineVersions answers per location; others fail as the API does for an unknown location. */
const OFFERED: Record<string, { validMasterVersions: string[]; releaseChannelDefaultVersion: Record<string, string> }> =
  {
    "europe-west1": {
      validMasterVersions: ["1.34.1-gke.1000", "1.33.5-gke.1080000", "1.33.4-gke.1000"],
      releaseChannelDefaultVersion: {
        RAPID: "1.34.1-gke.1000",
        REGULAR: "1.33.5-gke.1080000",
        STABLE: "1.33.4-gke.1000",
      },
    },
    "us-central1-c": {
      validMasterVersions: ["1.33.5-gke.1080000"],
      releaseChannelDefaultVersion: { REGULAR: "1.33.5-gke.1080000" },
    },
    "europe-west1-b": {
      validMasterVersions: ["1.33.5-gke.1080000"],
      releaseChannelDefaultVersion: { REGULAR: "1.33.5-gke.1080000" },
    },
  };

const graph = recordGraph();
const mocks = await useMocks({
  stack: "dev",
  invokes: {
    "gcp:container/getEngineVersions:getEngineVersions": (inputs) => {
      const offered = OFFERED[String(inputs["location"])];
      if (!offered) {
        // The engine hands an invoke's failure to the program as gRPC `details`.
        const details = `googleapi: Error 400: Location "${inputs["location"]}" does not exist., badRequest`;
        throw Object.assign(new Error(details), { details });
      }
      return offered;
    },
  },
  outputs: (r) => {
    if (r.type === "gcp:container/cluster:Cluster") {
      return { endpoint: ENDPOINT, masterAuth: { clusterCaCertificate: CA } };
    }
    if (r.type === "gcp:compute/network:Network") {
      return { selfLink: `${NETWORKS}/${r.name}` };
    }
    if (r.type === "gcp:compute/subnetwork:Subnetwork") {
      return { selfLink: `${SUBNETS}/${r.name}` };
    }
    if (r.type === "gcp:serviceaccount/account:Account") {
      return { email: `${r.inputs["accountId"]}@${r.inputs["project"]}.iam.gserviceaccount.com` };
    }
    return undefined;
  },
});
const { target } = await import("../../../providers/gke/index.js");
const { parseObject, parseConfig } = await import("../../../config/load.js");
const { ConfigError } = await import("../../../config/errors.js");
const { stackFileConfig } = await import("../../../config/stack-file.js");
const { renderKubeconfig } = await import("../../../providers/gke/kubeconfig.js");
const { nodeAccountId, defaultClusterName } = await import("../../../providers/gke/naming.js");
const schema = await import("../../../providers/gke/schema.js");
const { archOf } = schema;
const { NODE_ROLES, initialNodes, checkVersions } = await import("../../../providers/gke/cluster.js");
const { gkePoolName, maintenancePolicyOf } = await import("../../../providers/gke/plan.js");

const GKE = {
  cluster: "gcp:container/cluster:Cluster",
  pool: "gcp:container/nodePool:NodePool",
  network: "gcp:compute/network:Network",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  router: "gcp:compute/router:Router",
  nat: "gcp:compute/routerNat:RouterNat",
  account: "gcp:serviceaccount/account:Account",
  iam: "gcp:projects/iAMMember:IAMMember",
  k8s: "pulumi:providers:kubernetes",
};

function settingsOf(gke: Record<string, unknown>) {
  return parseObject({ target: "gke", gke: { project: PROJECT, region: "europe-west1", ...gke } }).settings;
}

/** Builds a cluster under a unique component name and returns its recorded children. */
async function build(name: string, gke: Record<string, unknown> = {}, ephemeral = false) {
  const s = settingsOf(gke) as Parameters<typeof target.create>[1];
  const cluster = target.create(name, s, { stack: "dev", ephemeral, secrets: {} });
  await valueOf(cluster.kubeconfig);
  await valueOf(cluster.provider.urn);
  await mocks.settle();
  const mine = (type: string) => mocks.ofType(type).filter((r) => r.name.startsWith(`${name}-`));
  return { cluster, mine, one: (type: string, child: string) => mocks.one(type, `${name}-${child}`) };
}

/** Parses a `kuar:gke` object and returns the ConfigError message. */
function failure(gke: Record<string, unknown>): string {
  try {
    parseObject({ target: "gke", gke });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail("expected the config to be rejected");
}

const valid = { project: PROJECT, region: "europe-west1" };

test("defaults create an own VPC-native network with pods and services secondary ranges", async () => {
  const { one, mine } = await build("defaults");
  const net = one(GKE.network, "network");
  assert.equal(net.inputs["autoCreateSubnetworks"], false);
  assert.equal(net.inputs["project"], PROJECT);
  const subnet = one(GKE.subnet, "subnet");
  assert.equal(subnet.inputs["region"], "europe-west1");
  assert.equal(subnet.inputs["ipCidrRange"], "10.0.0.0/20");
  assert.equal(subnet.inputs["network"], `${NETWORKS}/defaults-network`);
  assert.equal(subnet.inputs["privateIpGoogleAccess"], true);
  assert.deepEqual(subnet.inputs["secondaryIpRanges"], [
    { rangeName: "pods", ipCidrRange: "10.4.0.0/14" },
    { rangeName: "services", ipCidrRange: "10.8.0.0/20" },
  ]);
  // Private nodes (the default) need Cloud NAT for egress to registries outside Google.
  assert.equal(mine(GKE.router).length, 1);
  const nat = one(GKE.nat, "nat");
  assert.equal(nat.inputs["natIpAllocateOption"], "AUTO_ONLY");
  assert.deepEqual(nat.inputs["subnetworks"], [
    { name: `${SUBNETS}/defaults-subnet`, sourceIpRangesToNats: ["ALL_IP_RANGES"] },
  ]);
});

test("the cluster is VPC-native, private-node, workload-identity, shielded, on REGULAR, protected", async () => {
  const { one } = await build("cl");
  const c = one(GKE.cluster, "cluster").inputs;
  assert.equal(c["name"], "kuar-dev");
  assert.equal(c["project"], PROJECT);
  assert.equal(c["location"], "europe-west1");
  assert.equal(c["network"], `${NETWORKS}/cl-network`);
  assert.equal(c["subnetwork"], `${SUBNETS}/cl-subnet`);
  assert.equal(c["networkingMode"], "VPC_NATIVE");
  assert.deepEqual(c["ipAllocationPolicy"], {
    clusterSecondaryRangeName: "pods",
    servicesSecondaryRangeName: "services",
  });
  assert.deepEqual(c["privateClusterConfig"], {
    enablePrivateNodes: true,
    enablePrivateEndpoint: false,
    masterIpv4CidrBlock: "172.16.0.0/28",
  });
  assert.equal(c["masterAuthorizedNetworksConfig"], undefined);
  assert.deepEqual(c["workloadIdentityConfig"], { workloadPool: `${PROJECT}.svc.id.goog` });
  assert.deepEqual(c["releaseChannel"], { channel: "REGULAR" });
  assert.equal(c["minMasterVersion"], undefined);
  assert.equal(c["removeDefaultNodePool"], true);
  assert.equal(c["initialNodeCount"], 1);
  assert.equal(c["enableShieldedNodes"], true);
  assert.equal(c["deletionProtection"], true);
  assert.deepEqual(c["masterAuth"], { clientCertificateConfig: { issueClientCertificate: false } });
  assert.equal(c["nodeConfig"]["serviceAccount"], `kuar-dev-nodes@${PROJECT}.iam.gserviceaccount.com`);
  assert.equal(c["resourceLabels"]["managed-by"], "kuar");
});

test("deletion protection is off for ephemeral stacks", async () => {
  const { one } = await build("eph", {}, true);
  assert.equal(one(GKE.cluster, "cluster").inputs["deletionProtection"], false);
});

test("the node service account gets exactly the least-privilege roles", async () => {
  const { one, mine } = await build("iam");
  const sa = one(GKE.account, "nodes");
  assert.equal(sa.inputs["accountId"], "kuar-dev-nodes");
  const email = `kuar-dev-nodes@${PROJECT}.iam.gserviceaccount.com`;
  const grants = mine(GKE.iam);
  assert.deepEqual(grants.map((g) => g.inputs["role"]).sort(), [
    "roles/artifactregistry.reader",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
  ]);
  assert.deepEqual([...NODE_ROLES].sort(), grants.map((g) => g.inputs["role"]).sort());
  for (const g of grants) {
    assert.equal(g.inputs["member"], `serviceAccount:${email}`);
    assert.equal(g.inputs["project"], PROJECT);
  }
  assert.ok(!grants.some((g) => /owner|editor|admin/i.test(g.inputs["role"])), "no broad roles");
});

test("node pools autoscale, run as the node account with GKE_METADATA, and carry labels, taints and spot", async () => {
  const { mine, one } = await build("pools", {
    workloadPools: [
      {
        name: "spot",
        machineType: "e2-standard-8",
        spot: true,
        minNodes: 0,
        maxNodes: 6,
        diskSizeGb: 60,
        labels: { "kuar.dev/capacity": "spot" },
        taints: [{ key: "cloud.google.com/gke-spot", value: "true", effect: "NoSchedule" }],
      },
      { name: "batch", minNodes: 2, maxNodes: 4, taints: [{ key: "batch", effect: "NoExecute" }] },
    ],
  });
  assert.deepEqual(
    mine(GKE.pool)
      .map((p) => String(p.inputs["name"]).replace(/-[0-9a-f]{4}$/, ""))
      .sort(),
    ["batch", "spot", "system"],
    "each GKE name is the configured name and a 4-character rotation suffix",
  );
  const email = `kuar-dev-nodes@${PROJECT}.iam.gserviceaccount.com`;
  for (const p of mine(GKE.pool)) {
    const nc = p.inputs["nodeConfig"];
    assert.equal(p.inputs["cluster"], "kuar-dev");
    assert.equal(p.inputs["location"], "europe-west1");
    assert.equal(nc["serviceAccount"], email);
    assert.deepEqual(nc["oauthScopes"], ["https://www.googleapis.com/auth/cloud-platform"]);
    assert.deepEqual(nc["workloadMetadataConfig"], { mode: "GKE_METADATA" });
    assert.deepEqual(nc["shieldedInstanceConfig"], { enableSecureBoot: true, enableIntegrityMonitoring: true });
    assert.deepEqual(p.inputs["management"], { autoRepair: true, autoUpgrade: true });
    assert.equal(p.inputs["version"], undefined);
  }
  const spot = one(GKE.pool, "pool-spot").inputs;
  assert.deepEqual(spot["autoscaling"], { totalMinNodeCount: 0, totalMaxNodeCount: 6, locationPolicy: "ANY" });
  assert.equal(spot["initialNodeCount"], 0);
  assert.equal(spot["nodeConfig"]["spot"], true);
  assert.equal(spot["nodeConfig"]["machineType"], "e2-standard-8");
  assert.equal(spot["nodeConfig"]["diskSizeGb"], 60);
  assert.equal(spot["nodeConfig"]["diskType"], "pd-balanced");
  assert.deepEqual(spot["nodeConfig"]["labels"], { "kuar.dev/capacity": "spot", "kuar.io/node-pool": "spot" });
  assert.deepEqual(spot["nodeConfig"]["taints"], [
    { key: "cloud.google.com/gke-spot", value: "true", effect: "NO_SCHEDULE" },
  ]);
  const batch = one(GKE.pool, "pool-batch").inputs;
  assert.deepEqual(batch["autoscaling"], { totalMinNodeCount: 2, totalMaxNodeCount: 4, locationPolicy: "BALANCED" });
  assert.equal(batch["nodeConfig"]["spot"], false);
  assert.deepEqual(batch["nodeConfig"]["taints"], [{ key: "batch", value: "", effect: "NO_EXECUTE" }]);
  const system = one(GKE.pool, "pool-system").inputs;
  assert.equal(system["nodeConfig"]["machineType"], "e2-standard-2");
  assert.deepEqual(system["autoscaling"], { totalMinNodeCount: 1, totalMaxNodeCount: 3, locationPolicy: "BALANCED" });
});

test("the kubeconfig is a secret that authenticates with gke-gcloud-auth-plugin and holds no credential", async () => {
  const { cluster } = await build("kc");
  const { value, secret } = await secretOf(cluster.kubeconfig);
  assert.equal(secret, true);
  const doc = parse(value);
  const ctx = `gke_${PROJECT}_europe-west1_kuar-dev`;
  assert.equal(doc["current-context"], ctx);
  assert.deepEqual(doc.clusters, [
    { name: ctx, cluster: { server: `https://${ENDPOINT}`, "certificate-authority-data": CA } },
  ]);
  assert.deepEqual(doc.contexts, [{ name: ctx, context: { cluster: ctx, user: ctx } }]);
  const user = doc.users[0].user;
  assert.deepEqual(Object.keys(user), ["exec"]);
  assert.equal(user.exec.command, "gke-gcloud-auth-plugin");
  assert.equal(user.exec.apiVersion, "client.authentication.k8s.io/v1beta1");
  assert.equal(user.exec.provideClusterInfo, true);
  assert.match(user.exec.installHint, /gke-gcloud-auth-plugin/);
  for (const forbidden of ["token", "password", "client-key", "client-key-data", "client-certificate-data"]) {
    assert.ok(!value.includes(`${forbidden}:`), `kubeconfig must not contain ${forbidden}`);
  }
});

test("renderKubeconfig is pure and uses the given context", () => {
  const text = renderKubeconfig({ context: "c", endpoint: "10.0.0.2", caCertificate: "Q0E=" });
  assert.equal(text, renderKubeconfig({ context: "c", endpoint: "10.0.0.2", caCertificate: "Q0E=" }));
  const doc = parse(text);
  assert.equal(doc.clusters[0].cluster.server, "https://10.0.0.2");
  assert.equal(doc.users[0].name, "c");
});

test("the Kubernetes provider is a child of the component with a stable clusterIdentifier", async () => {
  const { one, cluster } = await build("prov");
  const p = one(GKE.k8s, "k8s");
  assert.equal(p.inputs["clusterIdentifier"], `projects/${PROJECT}/locations/europe-west1/clusters/kuar-dev`);
  // The kubeconfig reaches the provider still marked secret.
  const kc = p.inputs["kubeconfig"];
  assert.equal(isSecretInput(kc), true);
  assert.match(kc.value, /gke-gcloud-auth-plugin/);
  const urn = await valueOf(cluster.provider.urn);
  assert.match(urn, /kuar:providers:GkeCluster\$pulumi:providers:kubernetes::prov-k8s$/);
});

test("capabilities describe a cloud cluster; nodes sum minNodes", async () => {
  const { cluster } = await build("caps");
  assert.deepEqual(cluster.capabilities, {
    loadBalancer: "cloud",
    defaultStorageClass: "standard-rwo",
    arch: "amd64",
    dns: true,
    metricsServer: true,
    online: true,
    runsContainers: true,
    nodes: 2,
  });
});

test("arch follows the machine families: t2a/c4a are arm64, a mix is mixed", async () => {
  assert.equal(archOf("t2a-standard-4"), "arm64");
  assert.equal(archOf("c4a-highcpu-8"), "arm64");
  assert.equal(archOf("n2d-standard-4"), "amd64");
  const arm = await build("arm", {
    systemPool: { machineType: "t2a-standard-2" },
    workloadPools: [{ name: "axion", machineType: "c4a-standard-4", minNodes: 0 }],
  });
  assert.equal(arm.cluster.capabilities.arch, "arm64");
  assert.equal(arm.cluster.capabilities.nodes, 1);
  // c4a attaches only Hyperdisk, so its boot disk defaults accordingly.
  assert.equal(arm.one(GKE.pool, "pool-axion").inputs["nodeConfig"]["diskType"], "hyperdisk-balanced");
  const mixed = await build("mixed", { workloadPools: [{ name: "arm", machineType: "t2a-standard-4" }] });
  assert.equal(mixed.cluster.capabilities.arch, "mixed");
});

test("a private endpoint lists the authorized networks", async () => {
  const { one } = await build("priv", {
    privateEndpoint: true,
    masterCidr: "172.16.8.0/28",
    masterAuthorizedNetworks: [{ cidr: "10.200.0.0/16", displayName: "vpn" }, { cidr: "192.168.0.0/24" }],
  });
  const c = one(GKE.cluster, "cluster").inputs;
  assert.deepEqual(c["privateClusterConfig"], {
    enablePrivateNodes: true,
    enablePrivateEndpoint: true,
    masterIpv4CidrBlock: "172.16.8.0/28",
  });
  assert.deepEqual(c["masterAuthorizedNetworksConfig"], {
    cidrBlocks: [
      { cidrBlock: "10.200.0.0/16", displayName: "vpn" },
      { cidrBlock: "192.168.0.0/24", displayName: "192.168.0.0/24" },
    ],
  });
});

test("a pinned version leaves the channel and stops node auto-upgrades", async () => {
  const { one, mine } = await build("pin", { kubernetesVersion: "1.33.5-gke.1080000" });
  const c = one(GKE.cluster, "cluster").inputs;
  assert.deepEqual(c["releaseChannel"], { channel: "UNSPECIFIED" });
  assert.equal(c["minMasterVersion"], "1.33.5-gke.1080000");
  for (const p of mine(GKE.pool)) {
    assert.equal(p.inputs["version"], "1.33.5-gke.1080000");
    assert.deepEqual(p.inputs["management"], { autoRepair: true, autoUpgrade: false });
  }
  const stable = await build("stable", { releaseChannel: "STABLE" });
  assert.deepEqual(stable.one(GKE.cluster, "cluster").inputs["releaseChannel"], { channel: "STABLE" });
});

test("an existing network is joined, not created, and public nodes need no NAT", async () => {
  const network = `projects/${PROJECT}/global/networks/shared`;
  const subnetwork = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/europe-west1/subnetworks/gke`;
  const { one, mine } = await build("existing", {
    existingNetwork: { network, subnetwork, podsRangeName: "gke-pods", servicesRangeName: "gke-svc" },
    privateNodes: false,
  });
  for (const t of [GKE.network, GKE.subnet, GKE.router, GKE.nat]) assert.equal(mine(t).length, 0, t);
  const c = one(GKE.cluster, "cluster").inputs;
  assert.equal(c["network"], network);
  assert.equal(c["subnetwork"], subnetwork);
  assert.deepEqual(c["ipAllocationPolicy"], {
    clusterSecondaryRangeName: "gke-pods",
    servicesSecondaryRangeName: "gke-svc",
  });
  assert.equal(c["privateClusterConfig"], undefined);
});

test("a zonal cluster puts its network in the zone's region and sizes pools per zone", async () => {
  const { one } = await build("zonal", {
    region: undefined,
    zone: "us-central1-c",
    clusterName: "lab",
    workloadPools: [{ name: "w", minNodes: 4, maxNodes: 8 }],
  });
  assert.equal(one(GKE.cluster, "cluster").inputs["location"], "us-central1-c");
  assert.equal(one(GKE.cluster, "cluster").inputs["name"], "lab");
  assert.equal(one(GKE.subnet, "subnet").inputs["region"], "us-central1");
  assert.equal(one(GKE.pool, "pool-w").inputs["initialNodeCount"], 4);
  assert.equal(one(GKE.account, "nodes").inputs["accountId"], "lab-nodes");
  assert.equal(initialNodes(4, true), 2);
  assert.equal(initialNodes(0, true), 0);
});

test("names fit GCP's limits and do not collide", () => {
  assert.equal(defaultClusterName("dev"), "kuar-dev");
  assert.ok(defaultClusterName("org/project/" + "x".repeat(60)).length <= 40);
  const a = nodeAccountId("a-very-long-cluster-name-for-team-one");
  const b = nodeAccountId("a-very-long-cluster-name-for-team-two");
  assert.notEqual(a, b);
  for (const id of [a, b, nodeAccountId("ab"), nodeAccountId("kuar-dev")]) {
    assert.match(id, /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, id);
  }
});

test("the example stack stacks/Pulumi.gke-dev.yaml validates", () => {
  const { raw, secureKeys } = stackFileConfig(new URL("../../../stacks/Pulumi.gke-dev.yaml", import.meta.url).pathname);
  assert.deepEqual(secureKeys, []);
  const c = parseConfig(raw);
  assert.equal(c.target, "gke");
  const s = c.settings as { workloadPools: { spot: boolean }[]; location: string };
  assert.ok(
    s.workloadPools.some((p) => p.spot),
    "has a spot pool",
  );
  assert.equal(s.location, "europe-west1-b");
});

test("fails when the project is missing or malformed", () => {
  assert.match(failure({ region: "europe-west1" }), /kuar:gke\.project: is required/);
  assert.match(
    failure({ ...valid, project: "My Project" }),
    /kuar:gke\.project: expected a project id.*got "My Project"\. Run: gcloud projects list/,
  );
});

test("fails when minNodes exceeds maxNodes", () => {
  const msg = failure({ ...valid, workloadPools: [{ name: "w", minNodes: 5, maxNodes: 2 }] });
  assert.match(msg, /kuar:gke\.workloadPools\[0\]\.minNodes: must not exceed maxNodes \(2\), got 5\. Lower minNodes/);
});

test("fails when the endpoint is private without authorized networks", () => {
  const msg = failure({ ...valid, privateEndpoint: true });
  assert.match(msg, /kuar:gke\.masterAuthorizedNetworks: must list at least one range when privateEndpoint is true/);
  assert.match(
    failure({ ...valid, privateEndpoint: true, privateNodes: false }),
    /kuar:gke\.privateEndpoint: needs privateNodes/,
  );
});

test("fails when the region is malformed", () => {
  const msg = failure({ ...valid, region: "europe-west1-b" });
  assert.match(
    msg,
    /kuar:gke\.region: expected a region such as "europe-west1", got "europe-west1-b"\..*set zone instead/,
  );
  assert.match(
    failure({ project: PROJECT }),
    /kuar:gke\.region: is required \(set region for a regional cluster, or zone/,
  );
  assert.match(failure({ ...valid, zone: "europe-west1-b" }), /kuar:gke\.zone: cannot be set together with region/);
});

test("fails when a CIDR is malformed or has host bits set", () => {
  assert.match(
    failure({ ...valid, network: { subnetCidr: "10.0.0.0/33" } }),
    /kuar:gke\.network\.subnetCidr: expected an IPv4 CIDR such as "10\.0\.0\.0\/16", got "10\.0\.0\.0\/33"/,
  );
  assert.match(
    failure({ ...valid, masterAuthorizedNetworks: [{ cidr: "10.1.2.3/16" }] }),
    /kuar:gke\.masterAuthorizedNetworks\[0\]\.cidr: has host bits set.*Use "10\.1\.0\.0\/16"\./,
  );
});

test("fails when the subnet, pods, services and master ranges overlap", () => {
  const msg = failure({
    ...valid,
    network: { subnetCidr: "10.0.0.0/16", podsCidr: "10.0.0.0/14", servicesCidr: "10.20.0.0/20" },
    masterCidr: "10.20.0.0/28",
  });
  assert.match(
    msg,
    /kuar:gke\.network\.podsCidr: overlaps network\.subnetCidr \(10\.0\.0\.0\/16\), got "10\.0\.0\.0\/14"/,
  );
  assert.match(msg, /kuar:gke\.masterCidr: overlaps network\.servicesCidr \(10\.20\.0\.0\/20\)/);
  assert.match(msg, /Pick ranges that do not share addresses\./);
});

test("fails when the master range is not a /28", () => {
  assert.match(failure({ ...valid, masterCidr: "172.16.0.0/24" }), /kuar:gke\.masterCidr: must be a \/28/);
});

test("fails when both kubernetesVersion and releaseChannel are set", () => {
  const msg = failure({ ...valid, kubernetesVersion: "1.33.5-gke.1080000", releaseChannel: "STABLE" });
  assert.match(
    msg,
    /kuar:gke\.releaseChannel: cannot be set together with kubernetesVersion \(1\.33\.5-gke\.1080000\), got "STABLE"/,
  );
  assert.match(
    failure({ ...valid, kubernetesVersion: "1.33" }),
    /kuar:gke\.kubernetesVersion: expected an exact GKE version/,
  );
  assert.match(
    failure({ ...valid, releaseChannel: "regular" }),
    /kuar:gke\.releaseChannel: expected one of .*Did you mean "REGULAR"\?/,
  );
});

test("fails when two node pools share a name", () => {
  const msg = failure({ ...valid, workloadPools: [{ name: "apps" }, { name: "apps" }, { name: "system" }] });
  assert.match(msg, /kuar:gke\.workloadPools\[1\]\.name: duplicates the name of workloadPools\.0, got "apps"/);
  assert.match(msg, /kuar:gke\.workloadPools\[2\]\.name: duplicates the name of systemPool, got "system"/);
});

test("fails when the pods range cannot hold the pools' nodes", () => {
  const msg = failure({ ...valid, network: { podsCidr: "10.4.0.0/22" }, workloadPools: [{ name: "w", maxNodes: 10 }] });
  assert.match(
    msg,
    /kuar:gke\.network\.podsCidr: holds Pod ranges for 4 nodes \(each node takes a \/24\), but the pools allow 13/,
  );
});

test("fails when an existing subnetwork is in another region, or is combined with network", () => {
  const existingNetwork = {
    network: `projects/${PROJECT}/global/networks/shared`,
    subnetwork: `projects/${PROJECT}/regions/us-east1/subnetworks/gke`,
    podsRangeName: "pods",
    servicesRangeName: "services",
  };
  assert.match(
    failure({ ...valid, existingNetwork }),
    /kuar:gke\.existingNetwork\.subnetwork: is in us-east1, but the cluster is in europe-west1/,
  );
  assert.match(
    failure({ ...valid, existingNetwork: { ...existingNetwork, subnetwork: "gke" } }),
    /kuar:gke\.existingNetwork\.subnetwork: expected a subnetwork self-link or id/,
  );
  assert.match(
    failure({ ...valid, region: "us-east1", existingNetwork, network: {} }),
    /kuar:gke\.network: cannot be set together with existingNetwork/,
  );
});

test("fails when a pool is misconfigured: disk type, system pool at zero", () => {
  const msg = failure({
    ...valid,
    systemPool: { minNodes: 0 },
    workloadPools: [{ name: "arm", machineType: "c4a-standard-4", diskType: "pd-balanced" }],
  });
  assert.match(msg, /kuar:gke\.systemPool\.minNodes: must be at least 1/);
  assert.match(
    msg,
    /kuar:gke\.workloadPools\[0\]\.diskType: is not available on c4a machines.*Use "hyperdisk-balanced"/,
  );
});

test("fails when a pool has a bad taint, a misspelt key or a bad name", () => {
  const msg = failure({
    ...valid,
    workloadPools: [{ name: "t", taints: [{ key: "k", effect: "NoScedule" }], spto: true }, { name: "Apps" }],
  });
  assert.match(msg, /kuar:gke\.workloadPools\[0\]\.taints\[0\]\.effect: expected one of .*Did you mean "NoSchedule"\?/);
  assert.match(msg, /kuar:gke\.workloadPools\[0\]\.spto: is not a setting kuar knows.*Did you mean "spot"\?/);
  assert.match(msg, /kuar:gke\.workloadPools\[1\]\.name: expected a node pool name/);
});

test("every problem is reported at once", () => {
  const msg = failure({
    project: "X",
    region: "west",
    privateEndpoint: true,
    workloadPools: [{ name: "system", minNodes: 3, maxNodes: 1 }],
  });
  assert.match(msg, /kuar found [5-9] problems/);
});

test("kubeconfigAuth adc passes --use_application_default_credentials, so CI needs no gcloud", async () => {
  // gke-gcloud-auth-plugin runs `gcloud config config-helper` unless this flag is set
  // (kubernetes/cloud-provider-gcp cmd/gke-gcloud-auth-plugin/main.go).
  const adc = await build("adc", { kubeconfigAuth: "adc" });
  const exec = (text: string) =>
    (parse(text) as { users: { user: { exec: { command: string; args?: string[] } } }[] }).users[0]!.user.exec;
  assert.deepEqual(exec((await secretOf(adc.cluster.kubeconfig)).value).args, [
    "--use_application_default_credentials",
  ]);
  const plain = await build("gcloud-auth", {});
  assert.equal(exec((await secretOf(plain.cluster.kubeconfig)).value).args, undefined);
  assert.equal(exec((await secretOf(plain.cluster.kubeconfig)).value).command, "gke-gcloud-auth-plugin");
});

test("versions: the engine versions GKE offers in the location are read at preview", async () => {
  const base = {
    project: PROJECT,
    location: "europe-west1",
    regional: true,
    kubernetesVersion: undefined,
    releaseChannel: "REGULAR" as const,
  };
  assert.equal(await checkVersions(base), PROJECT);
  assert.deepEqual(
    mocks.invoked.filter((i) => i.token === "gcp:container/getEngineVersions:getEngineVersions").at(-1)?.inputs,
    {
      project: PROJECT,
      location: "europe-west1",
    },
  );
  await checkVersions({ ...base, kubernetesVersion: "1.33.5-gke.1080000", releaseChannel: "UNSPECIFIED" });
});

test("fails when the pinned version is not offered in the location", async () => {
  await assert.rejects(
    checkVersions({
      project: PROJECT,
      location: "europe-west1",
      regional: true,
      kubernetesVersion: "1.33.9-gke.1",
      releaseChannel: "UNSPECIFIED",
    }),
    /kuar:gke\.kubernetesVersion: GKE does not offer "1\.33\.9-gke\.1" in europe-west1 \(offered: 1\.33\.5-gke\.1080000, 1\.33\.4-gke\.1000, \.\.\.\)\. Run: gcloud container get-server-config --region europe-west1.*pulumi config set --path 'kuar:gke\.kubernetesVersion' 1\.33\.5-gke\.1080000/,
  );
});

test("fails when the channel has no version in the location, or the location does not exist", async () => {
  await assert.rejects(
    checkVersions({
      project: PROJECT,
      location: "europe-west1-b",
      regional: false,
      kubernetesVersion: undefined,
      releaseChannel: "RAPID",
    }),
    /kuar:gke\.releaseChannel: GKE offers no RAPID version in europe-west1-b \(channels: REGULAR\)\. Run: gcloud container get-server-config --zone europe-west1-b/,
  );
  await assert.rejects(
    checkVersions({
      project: PROJECT,
      location: "europe-west9",
      regional: true,
      kubernetesVersion: undefined,
      releaseChannel: "REGULAR",
    }),
    /kuar:gke\.region: GKE lists no versions for "europe-west9" in project kuar-test-123 \(googleapi: Error 400: Location "europe-west9" does not exist/,
  );
});

test("a maintenance window becomes GKE's recurring window; fails when it allows under 48 hours in 32 days", async () => {
  // GKE: at least 48 hours of maintenance availability in a 32-day rolling window, counting only
  // contiguous windows of 4 hours or more (cloud.google.com/kubernetes-engine/docs/maintenance-window).
  const { one } = await build("mw", { maintenanceWindow: { day: "Saturday", startTime: "22:00", durationHours: 12 } });
  assert.deepEqual(one(GKE.cluster, "cluster").inputs["maintenancePolicy"], {
    recurringWindow: {
      startTime: "2025-01-01T22:00:00Z",
      endTime: "2025-01-02T10:00:00Z",
      recurrence: "FREQ=WEEKLY;BYDAY=SA",
    },
  });
  assert.deepEqual(
    maintenancePolicyOf({ day: "Daily", startTime: "03:00", durationHours: 4 }).recurringWindow.recurrence,
    "FREQ=DAILY",
  );
  assert.match(
    failure({ project: PROJECT, region: "europe-west1", maintenanceWindow: { day: "Sunday", durationHours: 4 } }),
    /kuar:gke\.maintenanceWindow: allows 16 hours in 32 days; GKE needs at least 48 hours.*pulumi config set --path 'kuar:gke\.maintenanceWindow\.durationHours' 12/,
  );
  assert.doesNotThrow(() => settingsOf({ maintenanceWindow: { day: "Daily", durationHours: 4 } }));
  const none = await build("mw-none", {});
  assert.equal(none.one(GKE.cluster, "cluster").inputs["maintenancePolicy"], undefined);
});

test("node auto-provisioning is off by default; on, it has its cpu and memory limits and the node account", async () => {
  const off = await build("nap-off", {});
  assert.deepEqual(off.one(GKE.cluster, "cluster").inputs["clusterAutoscaling"], { enabled: false });
  const on = await build("nap", { nodeAutoProvisioning: { maxCpu: 64, maxMemoryGb: 256 } });
  const ca = on.one(GKE.cluster, "cluster").inputs["clusterAutoscaling"];
  assert.equal(ca.enabled, true);
  assert.deepEqual(ca.resourceLimits, [
    { resourceType: "cpu", minimum: 0, maximum: 64 },
    { resourceType: "memory", minimum: 0, maximum: 256 },
  ]);
  assert.match(ca.autoProvisioningDefaults.serviceAccount, /^kuar-dev-nodes@/);
  assert.deepEqual(ca.autoProvisioningDefaults.shieldedInstanceConfig, {
    enableSecureBoot: true,
    enableIntegrityMonitoring: true,
  });
  assert.match(
    failure({ project: PROJECT, region: "europe-west1", nodeAutoProvisioning: { maxCpu: 8 } }),
    /kuar:gke\.nodeAutoProvisioning\.maxMemoryGb/,
  );
});

test("destroy order: objects, then pools, then the cluster; created the other way round", async () => {
  const { cluster } = await build("order", {
    workloadPools: [{ name: "general" }, { name: "spot", spot: true, minNodes: 0 }],
  });
  const k8s = await import("@pulumi/kubernetes");
  new k8s.core.v1.Service(
    "order-lb",
    { spec: { type: "LoadBalancer", ports: [{ port: 80 }] } },
    { provider: cluster.provider },
  );
  new k8s.core.v1.PersistentVolumeClaim(
    "order-pvc",
    { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
    { provider: cluster.provider },
  );
  await mocks.settle();
  const c = graph.one(GKE.cluster, "order-cluster");
  const pools = graph.ofType(GKE.pool).filter((n) => n.name.startsWith("order-"));
  const provider = graph.one(GKE.k8s, "order-k8s");
  const objects = [
    graph.one("kubernetes:core/v1:Service", "order-lb"),
    graph.one("kubernetes:core/v1:PersistentVolumeClaim", "order-pvc"),
  ];
  assert.equal(pools.length, 3);
  for (const p of pools) {
    assert.ok(graph.dependsOn(p, c), `${p.name} after the cluster`);
    assert.ok(graph.dependsOn(provider, p), `provider after ${p.name}`);
    assert.ok(!graph.dependsOn(c, p), "the cluster never waits for a pool");
  }
  for (const o of objects) assert.ok(graph.dependsOn(o, provider));
  const order = graph.deletionOrder().map((n) => n.urn);
  const at = (n: { urn: string }) => order.indexOf(n.urn);
  for (const o of objects) for (const p of pools) assert.ok(at(o) < at(p), `${o.name} deleted before ${p.name}`);
  for (const p of pools) assert.ok(at(p) < at(c), `${p.name} deleted before the cluster`);
  // Nodes keep their egress (NAT) and identity until they are gone.
  const nat = graph.one(GKE.nat, "order-nat");
  for (const p of pools) assert.ok(at(p) < at(nat));
});

test("a change GKE cannot make in place (spot) renames the pool; machine type, disks and labels keep the name", () => {
  const pool = { name: "general", spot: false, machineType: "e2-standard-4", diskSizeGb: 100, labels: {} };
  const name = gkePoolName(pool, "kuar-dev-nodes");
  assert.match(name, /^general-[0-9a-f]{4}$/);
  assert.ok(name.length <= 40, "fits GKE's 40 characters with the longest configured name");
  const resized = { ...pool, machineType: "n2-standard-8", diskSizeGb: 200, labels: { a: "b" } };
  assert.equal(gkePoolName(resized, "kuar-dev-nodes"), name, "GKE changes these in place");
  assert.notEqual(gkePoolName({ ...pool, spot: true }, "kuar-dev-nodes"), name);
  assert.notEqual(gkePoolName(pool, "other-nodes"), name, "a new node service account replaces the pool too");
  assert.equal(gkePoolName({ name: "a".repeat(35), spot: false }, "x").length, 40);
});

test("pools are replaced create-before-delete under their new name, and carry their configured name as a label", async () => {
  const seen = new Map<string, pulumi.CustomResourceOptions>();
  const s = settingsOf({ workloadPools: [{ name: "general", spot: true, minNodes: 0, maxNodes: 3 }] }) as Parameters<
    typeof target.create
  >[1];
  const cluster = target.create(
    "rot",
    s,
    { stack: "dev", ephemeral: false, secrets: {} },
    {
      transformations: [(a) => void seen.set(a.name, a.opts as pulumi.CustomResourceOptions) as undefined],
    },
  );
  await valueOf(cluster.kubeconfig);
  await mocks.settle();
  for (const pool of ["system", "general"]) {
    const opts = seen.get(`rot-pool-${pool}`);
    assert.ok(opts, `rot-pool-${pool} registered`);
    assert.equal(opts.deleteBeforeReplace, false, "the new pool comes up before the old one is deleted");
    const inputs = mocks.one(GKE.pool, `rot-pool-${pool}`).inputs;
    assert.notEqual(inputs["name"], pool, "never the bare name, which a replacement would need twice");
    assert.equal(inputs["nodeConfig"]["labels"]["kuar.io/node-pool"], pool);
  }
});

test("fails when the auto-provisioning limits are below what the node pools may reach (they cap the pools too)", () => {
  // Defaults: system e2-standard-2 x3 and general e2-standard-4 x5 reach 26 vCPUs and at least 97.5 GB.
  const text = failure({ ...valid, nodeAutoProvisioning: { maxCpu: 20, maxMemoryGb: 64 } });
  assert.match(text, /kuar:gke\.nodeAutoProvisioning\.maxCpu: is below the 26 vCPUs the node pools may reach/);
  assert.match(text, /pulumi config set --path 'kuar:gke\.nodeAutoProvisioning\.maxCpu' 26/);
  assert.match(text, /kuar:gke\.nodeAutoProvisioning\.maxMemoryGb: is below the 98 GB/);
  parseObject({ target: "gke", gke: { ...valid, nodeAutoProvisioning: { maxCpu: 26, maxMemoryGb: 98 } } });
  const { machineSize } = schema;
  assert.deepEqual(machineSize("n2-highmem-8"), { vcpus: 8, minMemoryGb: 52 });
  assert.deepEqual(machineSize("c4a-standard-4-lssd"), { vcpus: 4, minMemoryGb: 15 });
  assert.equal(machineSize("e2-medium"), undefined);
});
