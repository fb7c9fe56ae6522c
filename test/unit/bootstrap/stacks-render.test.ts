/**
 * Every example stack in stacks/ renders: the whole program runs under recording mocks with the
 * stack file's config, registers its cluster, add-ons and workloads, and the capabilities the
 * target predicted from its settings (which the config checks used) are the ones it reports.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, type RecordedResource } from "../../../kit/mocks.js";
import { stackFileConfig } from "../../../config/stack-file.js";
import { invokes as awsInvokes } from "../providers/eks-aws.js";

const dir = join(import.meta.dirname, "..", "..", "..", "stacks");
const files = readdirSync(dir)
  .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
  .sort();

const K3S_YAML = [
  "apiVersion: v1",
  "clusters:",
  "- cluster:",
  "    certificate-authority-data: Q0E=",
  "    server: https://127.0.0.1:6443",
  "  name: default",
  "contexts:",
  "- context:",
  "    cluster: default",
  "    user: default",
  "  name: default",
  "current-context: default",
  "kind: Config",
  "users:",
  "- name: default",
  "  user:",
  "    client-certificate-data: Q0U=",
  "    client-key-data: S0VZ",
  "",
].join("\n");
const AKS_KUBECONFIG = Buffer.from(
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: c",
    "  cluster:",
    "    certificate-authority-data: Q0E=",
    "    server: https://ignored.example:443",
    "users:",
    "- name: u",
    "  user:",
    "    token: t",
  ].join("\n"),
).toString("base64");

/** The outputs each cloud's resources have after create, as far as the program reads them. */
function outputs(r: RecordedResource): Record<string, unknown> | undefined {
  const i = r.inputs;
  switch (r.type) {
    case "gcp:container/cluster:Cluster":
      return { endpoint: "203.0.113.10", masterAuth: { clusterCaCertificate: "Q0E=" } };
    case "gcp:compute/network:Network":
    case "gcp:compute/subnetwork:Subnetwork":
      return { selfLink: `https://www.googleapis.com/compute/v1/projects/p/x/${r.name}` };
    case "gcp:serviceaccount/account:Account":
      return { email: `${i["accountId"]}@${i["project"]}.iam.gserviceaccount.com` };
    case "azure-native:containerservice:ManagedCluster":
      return {
        name: i["resourceName"],
        fqdn: `${i["resourceName"]}.hcp.westeurope.azmk8s.io`,
        aadProfile: { ...i["aadProfile"], tenantID: "00000000-0000-0000-0000-000000000001" },
        oidcIssuerProfile: { enabled: true, issuerURL: "https://westeurope.oic.prod-aks.azure.com/t/x/" },
      };
    case "azure-native:resources:ResourceGroup":
      return { name: i["resourceGroupName"] };
    case "azure-native:network:VirtualNetwork":
      return { name: i["virtualNetworkName"] };
    case "aws:eks/cluster:Cluster":
      return {
        arn: `arn:aws:eks:eu-west-1:123456789012:cluster/${i["name"]}`,
        endpoint: `https://${r.name}.gr7.eks.amazonaws.com`,
        certificateAuthority: { data: "Q0E=" },
        identities: [{ oidcs: [{ issuer: `https://oidc.eks.eu-west-1.amazonaws.com/id/${r.name.toUpperCase()}` }] }],
      };
    default:
      if (i["kind"] === "kuar:RaspberryPiNode") {
        return { kubeconfig: i["role"] === "server" ? K3S_YAML : "", installedVersion: i["k3sVersion"] };
      }
      return r.type.startsWith("aws:") ? { arn: `arn:aws:test::123456789012:${r.type}/${r.name}` } : undefined;
  }
}

/** The engine hands an invoke's failure to the program as gRPC `details`. */
const failed = (details: string) => Object.assign(new Error(details), { details });
const invokes = {
  ...awsInvokes,
  // Any location offers these (gcp 9.37.0 getEngineVersions result shape).
  "gcp:container/getEngineVersions:getEngineVersions": () => ({
    validMasterVersions: ["1.34.1-gke.1000", "1.33.5-gke.1080000"],
    releaseChannelDefaultVersion: {
      RAPID: "1.34.1-gke.1000",
      REGULAR: "1.33.5-gke.1080000",
      STABLE: "1.33.5-gke.1080000",
    },
  }),
  // A cluster that does not exist yet: ARM answers ResourceNotFound for its system pool.
  "azure-native:containerservice:getAgentPool": (i: Record<string, unknown>) => {
    throw failed(
      `ResourceNotFound: The Resource 'Microsoft.ContainerService/managedClusters/${i["resourceName"]}' was not found.`,
    );
  },
  "azure-native:authorization:getClientConfig": () => ({
    clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    objectId: "deployer-object-id",
    subscriptionId: "00000000-0000-0000-0000-000000000002",
    tenantId: "00000000-0000-0000-0000-000000000001",
  }),
  "azure-native:containerservice:listManagedClusterUserCredentials": () => ({
    kubeconfigs: [{ name: "clusterUser", value: AKS_KUBECONFIG }],
  }),
};

for (const f of files) {
  test(`stacks/${f} renders under mocks: cluster, add-ons and workloads register`, async () => {
    const stack = f.replace(/^Pulumi\.|\.yaml$/g, "");
    const { raw, secureKeys } = stackFileConfig(join(dir, f));
    const mocks = new RecordingMocks({ invokes, outputs });
    pulumi.runtime.setAllConfig(raw, secureKeys);
    await pulumi.runtime.setMocks(mocks, "kuar", stack, false);
    // A query string gives each stack its own instance of the program module.
    const program = (await import(`../../../index.js?stack=${stack}`)) as Record<string, unknown>;
    await mocks.settle();
    const types = mocks.types();
    assert.ok(types.includes("kuar:bootstrap:Bootstrap"), `${f}: bootstrap registered (${types.join(", ")})`);
    assert.ok(types.includes("kuar:workloads:Workloads"), `${f}: workloads registered`);
    assert.ok(
      mocks.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").length > 0,
      `${f}: the apps namespace's policies registered`,
    );
    const target = raw["kuar:target"];
    assert.equal(program["target"], target);
  });
}
