/**
 * The existing target under recording mocks, with kubectl replaced by a recorder that answers
 * from canned API objects: it registers only a Kubernetes provider (never a cluster), every
 * command it runs is a read, capabilities come from the API unless declared, and kuar's own
 * add-ons never count as the cluster's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { stringify } from "yaml";
import { isSecretInput, secretOf, useMocks } from "../../../kit/mocks.js";

const mocks = await useMocks({ stack: "dev" });
const { create } = await import("../../../providers/existing/index.js");
const { capabilitiesFrom, discoveryReads, READ_ONLY_VERBS } = await import("../../../providers/existing/plan.js");
const { settings } = await import("../../../providers/existing/schema.js");
const { connect, expandHome } = await import("../../../providers/existing/discover.js");
const { ConfigError } = await import("../../../config/errors.js");
const { parseObject } = await import("../../../schema.js");

const MINIFIED = stringify({
  apiVersion: "v1",
  kind: "Config",
  "current-context": "kind-dev",
  contexts: [{ name: "kind-dev", context: { cluster: "kind-dev", user: "kind-dev" } }],
  clusters: [{ name: "kind-dev", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": "Q0E=" } }],
  users: [{ name: "kind-dev", user: { "client-key-data": "S0VZ" } }],
});

const node = (name: string, more: Record<string, unknown> = {}) => ({
  metadata: { name, labels: { "kubernetes.io/arch": "amd64" }, ...((more["metadata"] as object) ?? {}) },
  spec: (more["spec"] as object) ?? {},
  status: { nodeInfo: { architecture: (more["arch"] as string) ?? "amd64" } },
});
const list = (items: unknown[]) => JSON.stringify({ items });

interface Api {
  nodes?: unknown[];
  storageClasses?: unknown[];
  dns?: unknown[];
  metricsApi?: unknown;
  kuarNamespaces?: unknown[];
}

/** A kubectl that answers from `api` and records every call. */
function fakeKubectl(api: Api) {
  const calls: string[][] = [];
  const run = (args: string[]) => {
    calls.push(args);
    if (args[0] === "config") return MINIFIED;
    const what = args[1];
    if (what === "nodes") return list(api.nodes ?? [node("n1")]);
    if (what?.startsWith("storageclasses")) return list(api.storageClasses ?? []);
    if (what === "services") return list(api.dns ?? []);
    if (what?.startsWith("apiservices")) return api.metricsApi ? JSON.stringify(api.metricsApi) : "";
    if (what === "namespaces") return list(api.kuarNamespaces ?? []);
    throw new Error(`unexpected kubectl ${args.join(" ")}`);
  };
  return { run, calls };
}

const parsed = (s: Record<string, unknown>) => settings.parse(s);
const ctx = { stack: "dev", ephemeral: false, secrets: {} };

describe("existing target", () => {
  test("registers a Kubernetes provider and nothing that could create or delete a cluster", async () => {
    const before = mocks.resources.length;
    const k = fakeKubectl({});
    const c = create("kuar", parsed({ context: "kind-dev" }), ctx, undefined, k.run);
    await mocks.settle();
    const mine = mocks.resources.slice(before);
    assert.deepEqual(
      mine.map((r) => r.type),
      ["kuar:providers:ExistingCluster", "pulumi:providers:kubernetes"],
    );
    const provider = mine[1]!;
    assert.ok(isSecretInput(provider.inputs["kubeconfig"]), "the kubeconfig reaches the provider as a secret");
    assert.equal(provider.inputs["clusterIdentifier"], "kuar-existing-kind-dev-https://127.0.0.1:6443");
    const out = await secretOf(c.kubeconfig);
    assert.equal(out.secret, true);
    assert.equal(out.value, MINIFIED);
  });

  test("runs only reads, each against the chosen kubeconfig and context", () => {
    const k = fakeKubectl({});
    create("r", parsed({ kubeconfigPath: "/tmp/kc.yaml", context: "kind-dev" }), ctx, undefined, k.run);
    assert.equal(k.calls.length, 1 + Object.keys(discoveryReads()).length);
    for (const args of k.calls) {
      const verb = args[0] === "config" ? `config ${args[1]}` : args[0];
      assert.ok((READ_ONLY_VERBS as readonly string[]).includes(verb!), `not a read: ${args.join(" ")}`);
      assert.deepEqual(args.slice(-4), ["--kubeconfig", "/tmp/kc.yaml", "--context", "kind-dev"]);
    }
  });

  test("discovers capabilities: schedulable nodes, arch, default class, DNS, metrics, cloud load balancers", () => {
    const k = fakeKubectl({
      nodes: [
        node("cp", { spec: { taints: [{ effect: "NoSchedule" }], providerID: "gce://p/z/cp" }, arch: "amd64" }),
        node("a", { spec: { providerID: "gce://p/z/a" }, arch: "arm64" }),
        node("b", { spec: { providerID: "gce://p/z/b" }, arch: "arm64" }),
        node("cordoned", { spec: { unschedulable: true }, arch: "amd64" }),
      ],
      storageClasses: [
        {
          metadata: {
            name: "old",
            creationTimestamp: "2025-01-01T00:00:00Z",
            annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
          },
        },
        {
          metadata: {
            name: "new",
            creationTimestamp: "2026-01-01T00:00:00Z",
            annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
          },
        },
        { metadata: { name: "plain" } },
      ],
      dns: [{ metadata: { name: "kube-dns" } }],
      metricsApi: { metadata: { name: "v1beta1.metrics.k8s.io" }, spec: { service: { namespace: "kube-system" } } },
    });
    const c = create("d", parsed({}), ctx, undefined, k.run);
    assert.deepEqual(c.capabilities, {
      loadBalancer: "cloud",
      defaultStorageClass: "new",
      arch: "arm64",
      dns: true,
      metricsServer: true,
      online: true,
      runsContainers: true,
      nodes: 2,
    });
  });

  test("kuar's own add-ons do not count, so a second run plans the same add-ons as the first", () => {
    const facts = {
      nodes: [node("n1", { metadata: { annotations: { "kwok.x-k8s.io/node": "fake" } } })],
      storageClasses: [
        {
          metadata: {
            name: "local-path",
            labels: { "app.kubernetes.io/part-of": "kuar" },
            annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
          },
        },
      ],
      dnsServices: [{ metadata: { name: "kube-dns", labels: { "app.kubernetes.io/part-of": "kuar" } } }],
      metricsApi: { metadata: { name: "v1beta1.metrics.k8s.io" }, spec: { service: { namespace: "kuar-system" } } },
      kuarNamespaces: ["kuar-system"],
    };
    const caps = capabilitiesFrom(facts as never, {});
    assert.deepEqual(
      [caps.defaultStorageClass, caps.dns, caps.metricsServer, caps.runsContainers, caps.loadBalancer],
      [undefined, false, false, false, "none"],
    );
  });

  test("declared capabilities win, and with nothing left to discover only the kubeconfig is read", () => {
    const k = fakeKubectl({});
    const declared = {
      loadBalancer: "metallb",
      defaultStorageClass: "",
      arch: "mixed",
      dns: false,
      metricsServer: false,
      online: false,
      runsContainers: false,
      nodes: 4,
    };
    const c = create("x", parsed({ capabilities: declared }), ctx, undefined, k.run);
    assert.deepEqual(c.capabilities, { ...declared, defaultStorageClass: undefined });
    assert.deepEqual(
      k.calls.map((a) => a[0]),
      ["config"],
    );
  });

  test("an inline kubeconfig goes to kubectl in a private file that is removed afterwards", () => {
    let seen: { path: string; mode: string; text: string } | undefined;
    const run = (args: string[]) => {
      const path = args[args.indexOf("--kubeconfig") + 1]!;
      seen ??= { path, mode: "", text: readFileSync(path, "utf8") };
      return args[0] === "config" ? MINIFIED : list([]);
    };
    connect(run, { inline: "inline-kubeconfig" }, undefined, false);
    assert.equal(seen?.text, "inline-kubeconfig");
    assert.throws(() => readFileSync(seen!.path), /ENOENT/);
  });

  test("fails when the cluster cannot be reached, before any resource registers, naming the context and the fix", () => {
    const before = mocks.resources.length;
    const run = () => {
      throw new Error("dial tcp 127.0.0.1:6443: connect: connection refused");
    };
    assert.throws(
      () => create("u", parsed({ context: "kind-dev" }), ctx, undefined, run),
      (e: unknown) =>
        e instanceof ConfigError &&
        /kuar:existing\.context: could not reach the cluster .*connection refused/.test(e.message) &&
        /kubectl --context kind-dev get nodes/.test(e.message),
    );
    assert.equal(mocks.resources.length, before);
  });

  test("~ in kubeconfigPath is the home folder", () => {
    assert.equal(expandHome("~/.kube/config", "/home/u"), "/home/u/.kube/config");
    assert.equal(expandHome("/etc/kc", "/home/u"), "/etc/kc");
    assert.equal(parsed({}).kubeconfigPath, "~/.kube/config");
  });
});

describe("existing target config", () => {
  const problems = (existing: unknown, isSecret?: (k: string) => boolean) => {
    try {
      parseObject({ target: "existing", existing }, isSecret ? { isSecret } : {});
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e;
    }
    assert.fail("accepted");
  };

  test("fails when the inline kubeconfig is stored in plain text, without echoing it", () => {
    const e = problems({ kubeconfig: "apiVersion: v1 secret-token" }, () => false);
    assert.match(e.message, /kuar:existing\.kubeconfig: holds a secret but is stored in plain text/);
    assert.match(e.message, /pulumi config set --secret --path 'kuar:existing\.kubeconfig'/);
    assert.doesNotMatch(e.message, /secret-token/);
  });

  test("fails when both a kubeconfig and a path are given", () => {
    const e = problems({ kubeconfig: "x", kubeconfigPath: "/k" }, () => true);
    assert.match(e.message, /kuar:existing\.kubeconfig: cannot be set together with kubeconfigPath/);
    assert.doesNotMatch(e.message, /"x"/);
  });

  test("fails when discovery is off and the node count is not declared", () => {
    assert.match(
      problems({ discover: false }).message,
      /kuar:existing\.capabilities\.nodes: is required when discover is false.*pulumi config set --path 'kuar:existing\.capabilities\.nodes' 3/,
    );
  });

  test("fails when a capability is misspelt or out of range, with the real key in the fix", () => {
    const e = problems({ capabilities: { arch: "x86", nodes: 0, storage: "ssd" } });
    assert.match(e.message, /kuar:existing\.capabilities\.arch: expected one of "amd64", "arm64", "mixed"/);
    assert.match(e.message, /kuar:existing\.capabilities\.nodes: must be at least 1/);
    assert.match(e.message, /kuar:existing\.capabilities\.storage: is not a setting kuar knows/);
  });

  test("fails when the context has spaces", () => {
    assert.match(problems({ context: "my ctx" }).message, /kuar:existing\.context: expected a context name/);
  });
});
