/**
 * The policy matrix: a stack with all four apps is rendered under mocks (bootstrap and workloads
 * together), its NetworkPolicies are evaluated with Kubernetes' semantics (netpol.ts), and the
 * complete set of allowed pod -> pod:port connections is asserted. Pods the program does not
 * create itself stand in with the labels upstream gives them: Envoy Gateway's proxies, Headlamp,
 * the cloud's kube-dns, and a pod in another namespace.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { useMocks, type RecordedResource } from "../../../kit/mocks.js";
import { bare, cloud } from "./capabilities.js";
import { allowed, matrix, selects, type Pod, type Policy } from "./netpol.js";
import type { ClusterCapabilities } from "../../../providers/contract.js";

const mocks = await useMocks();
const pulumi = await import("@pulumi/pulumi");
const k8s = await import("@pulumi/kubernetes");
const { Bootstrap } = await import("../../../bootstrap/index.js");
const { Workloads } = await import("../../../workloads/index.js");
const { parseObject } = await import("../../../config/load.js");
const { PROXY_POD_LABELS } = await import("../../../bootstrap/network.js");

const ALL_APPS = {
  kuard: { enabled: true, keygen: { enabled: true } },
  parse: { enabled: true, dashboard: true },
  ghost: { enabled: true },
  redis: { enabled: true },
};

async function render(name: string, caps: ClusterCapabilities, addons: Record<string, unknown> = {}) {
  const cluster = {
    name: pulumi.output(name),
    kubeconfig: pulumi.secret("apiVersion: v1"),
    provider: new k8s.Provider(`${name}-k8s`, { kubeconfig: "apiVersion: v1" }),
    capabilities: caps,
  };
  const parsed = parseObject({ addons, workloads: ALL_APPS });
  const boot = new Bootstrap(name, { cluster, addons: parsed.addons });
  new Workloads(name, { cluster, platform: boot.platform, config: parsed.workloads });
  await mocks.settle();
  const mine = mocks.resources.filter((r) => r.custom && r.name.startsWith(`${name}-`));
  return { policies: policiesOf(mine), pods: podsOf(mine), namespaces: namespacesOf(mine) };
}

function policiesOf(rs: RecordedResource[]): Policy[] {
  return rs
    .filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    .map((r) => ({
      namespace: r.inputs["metadata"].namespace,
      name: r.inputs["metadata"].name,
      spec: r.inputs["spec"],
    }));
}

const WORKLOAD_TYPES = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job"];

function podsOf(rs: RecordedResource[]): Pod[] {
  return rs
    .filter((r) => WORKLOAD_TYPES.includes(r.type))
    .map((r) => {
      const labels: Record<string, string> = r.inputs["spec"].template.metadata.labels;
      const containers: { ports?: Pod["ports"] }[] = r.inputs["spec"].template.spec.containers;
      const id =
        labels["k8s-app"] === "kube-dns"
          ? "dns"
          : `${labels["app.kubernetes.io/name"]}/${labels["app.kubernetes.io/component"] ?? "-"}`;
      return { id, namespace: r.inputs["metadata"].namespace, labels, ports: containers.flatMap((c) => c.ports ?? []) };
    });
}

function namespacesOf(rs: RecordedResource[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {
    "kube-system": { "kubernetes.io/metadata.name": "kube-system" },
    default: { "kubernetes.io/metadata.name": "default" },
  };
  for (const r of rs.filter((x) => x.type === "kubernetes:core/v1:Namespace")) {
    const n: string = r.inputs["metadata"].name;
    out[n] = { ...r.inputs["metadata"].labels, "kubernetes.io/metadata.name": n };
  }
  return out;
}

/** Pods that exist on a real cluster but not in the program's own objects. */
function standIns(withCloudDns: boolean): Pod[] {
  const pods: Pod[] = [
    {
      id: "gateway",
      namespace: "kuar-system",
      labels: {
        ...PROXY_POD_LABELS,
        "gateway.envoyproxy.io/owning-gateway-name": "m-gateway",
        "gateway.envoyproxy.io/owning-gateway-namespace": "kuar-system",
      },
      ports: [{ containerPort: 10080, name: "http-80" }],
    },
    {
      id: "headlamp",
      namespace: "kuar-system",
      labels: { "app.kubernetes.io/name": "headlamp", "app.kubernetes.io/instance": "m-dashboard-headlamp" },
      ports: [{ containerPort: 4466, name: "http" }],
    },
    { id: "outsider", namespace: "default", labels: { app: "other" }, ports: [{ containerPort: 80 }] },
  ];
  if (withCloudDns) {
    pods.push({
      id: "dns",
      namespace: "kube-system",
      labels: { "k8s-app": "kube-dns" },
      ports: [
        { containerPort: 53, protocol: "UDP", name: "dns" },
        { containerPort: 53, protocol: "TCP", name: "dns-tcp" },
      ],
    });
  }
  return pods;
}

const APPS = [
  "ghost/web",
  "kuard/keygen",
  "kuard/web",
  "mongo/database",
  "mongo/replicaset-init",
  "mysql/database",
  "parse-dashboard/dashboard",
  "parse-server/api",
  "redis/sentinel",
  "redis/server",
];

/** The intended matrix, written from the rules, not from the output. */
function expected(all: string[], dnsPorts: string[], otherPorts: string[]): string[] {
  const others = all.filter((p) => !APPS.includes(p));
  const to = (dst: string, srcs: string[]) => srcs.map((s) => `${s} -> ${dst}`);
  return [
    // Front doors: only the Gateway's proxies.
    ...to("kuard/web:8080/TCP", ["gateway"]),
    ...to("parse-server/api:1337/TCP", ["gateway"]),
    ...to("parse-dashboard/dashboard:4040/TCP", ["gateway"]),
    ...to("ghost/web:2368/TCP", ["gateway"]),
    // Databases: only the pods of their own app that use them (and their own replicas and set-up
    // Job); the dashboard talks to parse-server, never to MongoDB.
    ...to("mongo/database:27017/TCP", ["mongo/database", "mongo/replicaset-init", "parse-server/api"]),
    ...to("mysql/database:3306/TCP", ["ghost/web"]),
    // Redis is the namespace's shared cache: every app pod, nothing outside.
    ...to("redis/server:6379/TCP", APPS),
    ...to("redis/sentinel:26379/TCP", APPS),
    // DNS: everyone, on the DNS pods' own port.
    ...dnsPorts.flatMap((p) => to(`dns:${p}`, all)),
    // Outside the apps namespace nothing is isolated, but apps' egress is restricted.
    ...otherPorts.flatMap((p) => to(p, others)),
  ].sort();
}

describe("NetworkPolicy semantics (the evaluator the matrix relies on)", () => {
  const ns = { a: { "kubernetes.io/metadata.name": "a" }, b: { "kubernetes.io/metadata.name": "b", x: "1" } };
  const web: Pod = { id: "web", namespace: "a", labels: { app: "web" }, ports: [{ containerPort: 80, name: "http" }] };
  const peerB: Pod = { id: "pb", namespace: "b", labels: { app: "web" }, ports: [] };
  const peerA: Pod = { id: "pa", namespace: "a", labels: { app: "other" }, ports: [] };
  const pol = (spec: Policy["spec"]): Policy => ({ namespace: "a", name: "p", spec });
  test("a pod no policy selects accepts everything; a selecting policy without rules denies", () => {
    assert.equal(allowed(peerB, web, web.ports[0]!, [], ns), true);
    assert.equal(allowed(peerB, web, web.ports[0]!, [pol({ podSelector: {} })], ns), false);
  });
  test("policies add up", () => {
    const deny = pol({ podSelector: {}, policyTypes: ["Ingress"] });
    const open = pol({ podSelector: { matchLabels: { app: "web" } }, ingress: [{}] });
    assert.equal(allowed(peerB, web, web.ports[0]!, [deny, open], ns), true);
  });
  test("podSelector alone is the policy's namespace; with namespaceSelector both must match", () => {
    const same = pol({ podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }] });
    assert.equal(allowed(peerB, web, web.ports[0]!, [same], ns), false);
    const both = pol({
      podSelector: {},
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { x: "1" } }, podSelector: { matchLabels: { app: "web" } } }] },
      ],
    });
    assert.equal(allowed(peerB, web, web.ports[0]!, [both], ns), true);
    assert.equal(allowed(peerA, web, web.ports[0]!, [both], ns), false);
  });
  test("ports match by number, range, name and protocol", () => {
    const by = (ports: Record<string, unknown>[]) =>
      allowed(peerA, web, web.ports[0]!, [pol({ podSelector: {}, ingress: [{ ports: ports as never }] })], ns);
    assert.equal(by([{ port: 80 }]), true);
    assert.equal(by([{ port: 81 }]), false);
    assert.equal(by([{ port: 1, endPort: 80 }]), true);
    assert.equal(by([{ port: 81, endPort: 90 }]), false);
    assert.equal(by([{ port: "http" }]), true);
    assert.equal(by([{ port: 80, protocol: "UDP" }]), false);
  });
  test("egress is checked on the source: Egress isolation with no matching rule blocks", () => {
    const egress = { namespace: "b", name: "e", spec: { podSelector: {}, policyTypes: ["Egress"] } };
    assert.equal(allowed(peerB, web, web.ports[0]!, [egress], ns), false);
    assert.equal(selects({ matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] }, {}), true);
  });
});

describe("the apps namespace's policy matrix, all four apps", () => {
  test("kuar's own CoreDNS (port 1053): exactly the intended connections are allowed", async () => {
    const r = await render("m", bare);
    const pods = [...r.pods, ...standIns(false)];
    const ids = pods.map((p) => p.id).sort();
    assert.deepEqual(
      ids.filter((p) => APPS.includes(p)),
      APPS,
      "every app pod is rendered",
    );
    const got = matrix(pods, r.policies, r.namespaces);
    const want = expected(
      ids,
      ["1053/UDP", "1053/TCP", "9153/TCP"],
      ["headlamp:4466/TCP", "outsider:80/TCP", "gateway:10080/TCP"],
    );
    // Apps may not reach the DNS pods' metrics port; everything else outside apps may.
    const wantFixed = want.filter((c) => !(c.endsWith("dns:9153/TCP") && APPS.includes(c.split(" -> ")[0]!)));
    assert.deepEqual(got, wantFixed);
  });

  test("the cloud's kube-dns (port 53): apps resolve names through it and nothing else changes", async () => {
    const r = await render("c", cloud);
    const pods = [...r.pods, ...standIns(true)];
    const ids = pods.map((p) => p.id).sort();
    const got = matrix(pods, r.policies, r.namespaces);
    assert.deepEqual(
      got,
      expected(ids, ["53/UDP", "53/TCP"], ["headlamp:4466/TCP", "outsider:80/TCP", "gateway:10080/TCP"]),
    );
  });
});
