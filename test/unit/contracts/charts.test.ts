/**
 * Chart contracts: every pinned chart has a record of the facts kuar relies on at that version
 * (config/contracts/charts/*.json, each citing repository, path and tag), and everything kuar
 * passes to a chart or creates against it is held to that record: every value path exists in
 * the chart, no value the chart ignores is passed, and every custom resource uses an
 * apiVersion/kind the record lists.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { useMocks, type RecordedResource } from "../../../kit/mocks.js";
import { bare, cloud, metal } from "../bootstrap/capabilities.js";
import type { ClusterCapabilities } from "../../../providers/contract.js";
import { sourceProblem } from "../../../config/contracts/index.js";

interface ChartRecord {
  pin: string;
  chart: string;
  version: string;
  source: { repo: string; path: string; tag: string };
  schema: { file: string; unknownKeys: string };
  values: Record<string, { type: string; fact?: string }>;
  notValues?: Record<string, string>;
  resources: { apiVersion: string; kind: string; crd: string; served: boolean }[];
  facts: string[];
}

const dir = join(import.meta.dirname, "..", "..", "..", "config", "contracts", "charts");
const records: ChartRecord[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as ChartRecord);

const mocks = await useMocks();
const pulumi = await import("@pulumi/pulumi");
const k8s = await import("@pulumi/kubernetes");
const { charts } = await import("../../../config/versions.js");
const { Bootstrap } = await import("../../../bootstrap/index.js");
const { Workloads } = await import("../../../workloads/index.js");
const { parseObject } = await import("../../../config/load.js");

/** Every leaf path of a values object; arrays and scalars are leaves. */
export function leafPaths(v: unknown, prefix = ""): string[] {
  if (v === null || typeof v !== "object" || Array.isArray(v) || Object.keys(v).length === 0) return [prefix];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => leafPaths(x, prefix ? `${prefix}.${k}` : k));
}

/** A path is covered when it, or an object path above it, is a recorded value. */
function covered(path: string, values: Record<string, unknown>): boolean {
  const parts = path.split(".");
  return parts.some((_, i) => Object.hasOwn(values, parts.slice(0, i + 1).join(".")));
}

/** Bootstrap (and workloads with all four apps) under mocks, in configurations that set every value kuar can set. */
async function render(name: string, caps: ClusterCapabilities, addons: Record<string, unknown>, eab?: string) {
  const cluster = {
    name: pulumi.output(name),
    kubeconfig: pulumi.secret("apiVersion: v1"),
    provider: new k8s.Provider(`${name}-k8s`, { kubeconfig: "apiVersion: v1" }),
    capabilities: caps,
  };
  const parsed = parseObject({
    addons,
    workloads: { kuard: { enabled: true }, parse: { enabled: true, dashboard: true }, ghost: { enabled: true } },
    ...(eab ? { acmeEabHmacKey: eab } : {}),
  });
  const boot = new Bootstrap(name, {
    cluster,
    addons: parsed.addons,
    ...(eab ? { secrets: { acmeEabHmacKey: pulumi.secret(eab) } } : {}),
  });
  new Workloads(name, { cluster, platform: boot.platform, config: parsed.workloads });
}
await render("ct-bare", bare, { metrics: { kubeletInsecureTLS: true }, dashboard: { access: "admin" } });
await render("ct-cloud", cloud, { gateway: { enabled: false } });
await render(
  "ct-metal",
  metal,
  {
    metallb: { addresses: ["192.168.1.240-192.168.1.250"] },
    externalDns: { enabled: true, provider: "cloudflare", credentialsSecret: "cf", credentialsKeys: ["CF_API_TOKEN"] },
    certManager: { issuer: "acme", acme: { email: "ops@example.com", dns01: { cloudflare: {} }, eabKeyId: "kid" } },
  },
  "hmac",
);
// The EKS target installs Karpenter itself (providers/eks/karpenter.ts), outside bootstrap.
const { EksKarpenter } = await import("../../../providers/eks/karpenter.js");
const { nodeAutoProvisioning } = await import("../../../providers/eks/schema.js");
new EksKarpenter(
  "ct-karpenter",
  {
    settings: nodeAutoProvisioning.parse({ maxCpu: 64, maxMemoryGi: 256, capacityTypes: ["on-demand", "spot"] }),
    region: "eu-west-1",
    clusterName: "ct",
    clusterArn: "arn:aws:eks:eu-west-1:123456789012:cluster/ct",
    oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/CT",
    oidcIssuer: "https://oidc.eks.eu-west-1.amazonaws.com/id/CT",
    subnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"],
    securityGroupId: "sg-0123456789abcdef0",
    nodePolicies: ["AmazonEKSWorkerNodePolicy"],
    arch: "amd64",
    replicas: 2,
  },
  { providers: { kubernetes: new k8s.Provider("ct-karpenter-k8s", { kubeconfig: "apiVersion: v1" }) } },
);
await mocks.settle();

const CHART = "kubernetes:helm.sh/v4:Chart";
const chartResources = mocks.ofType(CHART);
const pinOf = (r: RecordedResource) =>
  Object.entries(charts).find(([, p]) => String(r.inputs["chart"]).split("/").pop() === p.chart)?.[0];

describe("every pinned chart has a contract record", () => {
  test("one record per pin, at the pinned version, citing repository, path and tag", () => {
    assert.deepEqual(
      records.map((r) => r.pin).sort(),
      Object.keys(charts).sort(),
      "records and pins name the same charts",
    );
    for (const r of records) {
      const pin = charts[r.pin as keyof typeof charts];
      assert.equal(r.chart, pin.chart, `${r.pin}: chart name`);
      assert.equal(
        r.version,
        pin.version,
        `${r.pin}: config/versions.json pins ${pin.version} but the record describes ${r.version}; re-read the chart at the new version and update config/contracts/charts/`,
      );
      assert.match(r.source.repo, /^[\w.-]+\/[\w.-]+$/, `${r.pin}: source.repo is owner/name`);
      assert.ok(r.source.path && r.source.tag, `${r.pin}: source path and tag`);
      assert.equal(
        sourceProblem(`config/contracts/charts ${r.pin}`, pin.version.replace(/^v/, ""), r.source),
        undefined,
      );
      assert.ok(Object.keys(r.values).length > 0, `${r.pin}: records the values kuar sets`);
    }
  });

  test("the renders below cover every pinned chart", () => {
    assert.deepEqual([...new Set(chartResources.map(pinOf))].sort(), Object.keys(charts).sort());
  });
});

describe("chart values exist in the chart at the pinned version", () => {
  for (const r of records) {
    test(`${r.chart} ${r.version}: every value path kuar passes is one the chart has`, () => {
      const mine = chartResources.filter((c) => pinOf(c) === r.pin);
      assert.ok(mine.length > 0, `${r.chart} rendered`);
      for (const c of mine) {
        assert.equal(c.inputs["version"], r.version, `${c.name}: chart version`);
        for (const path of leafPaths(c.inputs["values"] ?? {}).filter(Boolean)) {
          assert.ok(
            covered(path, r.values),
            `${c.name}: value "${path}" is not a value of ${r.chart} ${r.version} (${r.source.repo} ${r.source.path} at ${r.source.tag}); the chart would ignore it`,
          );
          for (const bad of Object.keys(r.notValues ?? {}))
            assert.ok(!path.startsWith(bad), `${c.name}: ${bad} is not a value`);
        }
      }
    });
  }
});

describe("custom resources use the kinds and API versions the charts ship", () => {
  const BUILT_IN = new Set([
    "core",
    "apps",
    "batch",
    "policy",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "storage.k8s.io",
    "helm.sh",
  ]);
  test("every custom resource kuar creates is listed in a chart record", () => {
    const listed = new Set(records.flatMap((r) => r.resources.map((x) => `${x.apiVersion}:${x.kind}`)));
    const created = new Set(
      mocks.resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:"))
        .map((r) => r.type.slice("kubernetes:".length))
        .filter((t) => !BUILT_IN.has(t.split("/")[0]!)),
    );
    assert.ok(created.size >= 7, `custom resources rendered: ${[...created].join(", ")}`);
    for (const t of created) assert.ok(listed.has(t), `${t} is not served by any pinned chart's CRDs`);
    for (const r of records)
      for (const x of r.resources) assert.equal(x.served, true, `${x.kind} ${x.apiVersion} served`);
  });
});
