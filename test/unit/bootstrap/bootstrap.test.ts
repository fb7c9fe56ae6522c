/**
 * The Bootstrap component under recording mocks, once per kind of cluster: which add-ons register,
 * with which chart pins and values, in which namespaces, waiting for what, and what the local
 * target skips. Dependencies are observed with a transformation that records each child's dependsOn.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { SECRET_KEY, SECRET_SIG, useMocks, valueOf, type RecordedResource } from "../../../kit/mocks.js";
import type { ClusterCapabilities, KubernetesCluster } from "../../../providers/contract.js";
import { bare, cloud, local, metal } from "./capabilities.js";

const mocks = await useMocks();
const k8s = await import("@pulumi/kubernetes");
const pulumiSdk = await import("@pulumi/pulumi");
const { Bootstrap } = await import("../../../bootstrap/index.js");
const { parseObject } = await import("../../../config/load.js");
const { charts, images } = await import("../../../config/versions.js");

const CHART = "kubernetes:helm.sh/v4:Chart";
/** `<type> <name>` of each child -> names of the resources it was told to wait for */
const recorded = new Map<string, string[]>();
const recordDeps: pulumi.ResourceTransformation = ({ type, name, opts }) => {
  const d = opts.dependsOn;
  const list = (Array.isArray(d) ? d : d ? [d] : []) as { __name?: string }[];
  recorded.set(
    `${type} ${name}`,
    list.map((r) => r.__name ?? "?"),
  );
  return undefined;
};
/** What the custom resource (or chart) `name` waits for; `kind` picks one when names repeat across kinds. */
const deps = {
  get(name: string, kind = ""): string[] | undefined {
    const hits = [...recorded].filter(([k]) => k.endsWith(`${kind} ${name}`) && !k.startsWith("kuar:"));
    assert.equal(
      hits.length,
      1,
      `one resource named ${name}${kind ? ` of kind ${kind}` : ""}: ${hits.map(([k]) => k)}`,
    );
    return hits[0]![1];
  },
};

function cluster(name: string, capabilities: ClusterCapabilities): KubernetesCluster {
  return {
    name: pulumiSdk.output(name),
    kubeconfig: pulumiSdk.secret("apiVersion: v1"),
    provider: new k8s.Provider(`${name}-k8s`, { kubeconfig: "apiVersion: v1" }),
    capabilities,
  };
}

function boot(name: string, caps: ClusterCapabilities, addons: Record<string, unknown> = {}, eab?: string) {
  return new Bootstrap(
    name,
    {
      cluster: cluster(name, caps),
      // The EAB secret is config too: the load checks that key ID and secret come together.
      addons: parseObject({ addons, ...(eab ? { acmeEabHmacKey: eab } : {}) }).addons,
      ...(eab ? { secrets: { acmeEabHmacKey: pulumiSdk.secret(eab) } } : {}),
    },
    { transformations: [recordDeps] },
  );
}

const stacks = {
  cloud: boot("cloud", cloud, { domain: "kuar.example.com" }),
  metal: boot("metal", metal, { metallb: { addresses: ["192.168.1.240-192.168.1.250", "192.168.2.0/28"] } }),
  local: boot("local", local),
  bare: boot("bare", bare, {
    externalDns: {
      enabled: true,
      provider: "cloudflare",
      credentialsSecret: "cf-token",
      credentialsKeys: ["CF_API_TOKEN"],
    },
  }),
  acme: boot(
    "acme",
    cloud,
    {
      domain: "kuar.example.com",
      certManager: {
        issuer: "acme",
        acme: { email: "ops@example.com", server: "staging", hosts: ["ghost.kuar.example.com"], eabKeyId: "kid-7" },
      },
    },
    "hmac-secret",
  ),
  off: boot("off", bare, {
    dns: { enabled: false },
    dashboard: { enabled: false },
    gateway: { enabled: false },
    certManager: { enabled: false },
    metrics: { enabled: false },
    storage: { enabled: false },
    namespaces: { networkPolicies: false },
  }),
};
await mocks.settle();

const of = (stack: string) => mocks.resources.filter((r) => r.name === stack || r.name.startsWith(`${stack}-`));
const chartsIn = (stack: string) => of(stack).filter((r) => r.type === CHART);
const chartNamed = (stack: string, chart: string): RecordedResource => {
  const found = chartsIn(stack).filter((r) => String(r.inputs["chart"]).endsWith(chart));
  assert.equal(
    found.length,
    1,
    `${stack}: expected one ${chart} chart, found ${chartsIn(stack).map((r) => r.inputs["chart"])}`,
  );
  return found[0]!;
};
const chartList = (stack: string) =>
  chartsIn(stack)
    .map((r) => String(r.inputs["chart"]).split("/").pop())
    .sort();

describe("cloud, online", () => {
  test("installs Envoy Gateway, cert-manager and Headlamp, and nothing the cloud already provides", () => {
    assert.deepEqual(chartList("cloud"), ["cert-manager", "gateway-helm", "headlamp"]);
    assert.equal(of("cloud").filter((r) => r.type === "kubernetes:apps/v1:Deployment").length, 0, "no CoreDNS");
    assert.equal(of("cloud").filter((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass").length, 0);
  });

  test("charts are pinned from versions.json, with their repository", () => {
    const headlamp = chartNamed("cloud", "headlamp");
    assert.equal(headlamp.inputs["version"], charts.headlamp.version);
    assert.deepEqual(headlamp.inputs["repositoryOpts"], { repo: charts.headlamp.repo });
    assert.equal(headlamp.inputs["namespace"], "kuar-system");
    const cm = chartNamed("cloud", "cert-manager");
    assert.equal(cm.inputs["version"], charts.certManager.version);
    assert.deepEqual(cm.inputs["repositoryOpts"], { repo: "https://charts.jetstack.io" });
    assert.equal(cm.inputs["values"].crds.enabled, true);
    assert.equal(cm.inputs["values"].config.enableGatewayAPI, true);
    const eg = chartNamed("cloud", "gateway-helm");
    assert.equal(eg.inputs["chart"], "oci://docker.io/envoyproxy/gateway-helm");
    assert.equal(eg.inputs["version"], charts.envoyGateway.version);
  });

  test("Headlamp runs as kuar's read-only ServiceAccount, not the chart's cluster-admin one", () => {
    const values = chartNamed("cloud", "headlamp").inputs["values"];
    assert.deepEqual(values.serviceAccount, { create: false, name: "cloud-dashboard" });
    assert.deepEqual(values.clusterRoleBinding, { create: false });
    const binding = mocks.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "cloud-dashboard");
    assert.deepEqual(binding.inputs["roleRef"], {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "view",
    });
    assert.deepEqual(binding.inputs["subjects"], [
      { kind: "ServiceAccount", name: "cloud-dashboard", namespace: "kuar-system" },
    ]);
  });

  test("a GatewayClass for Envoy Gateway and a Gateway with http and https listeners", () => {
    const cls = mocks.one("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "cloud-gateway-class");
    assert.equal(cls.inputs["spec"].controllerName, "gateway.envoyproxy.io/gatewayclass-controller");
    assert.equal(cls.inputs["spec"].parametersRef, undefined, "cloud load balancers need no EnvoyProxy override");
    const gw = mocks.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "cloud-gateway");
    assert.equal(gw.inputs["metadata"].namespace, "kuar-system");
    assert.deepEqual(
      gw.inputs["spec"].listeners.map((l: any) => [l.name, l.port]),
      [
        ["http", 80],
        ["https", 443],
      ],
    );
    assert.equal(gw.inputs["spec"].listeners[1].tls.certificateRefs[0].name, "cloud-gateway-tls");
  });

  test("self-signed mode is a private CA: self-signed issuer, CA certificate, CA issuer", () => {
    const selfSigned = mocks.one("kubernetes:cert-manager.io/v1:ClusterIssuer", "cloud-cert-manager-selfsigned");
    assert.deepEqual(selfSigned.inputs["spec"], { selfSigned: {} });
    const ca = mocks.one("kubernetes:cert-manager.io/v1:Certificate", "cloud-cert-manager-ca");
    assert.equal(ca.inputs["spec"].isCA, true);
    assert.equal(ca.inputs["metadata"].namespace, "kuar-system");
    const caIssuer = mocks.one("kubernetes:cert-manager.io/v1:ClusterIssuer", "cloud-cert-manager-ca");
    assert.deepEqual(caIssuer.inputs["spec"], { ca: { secretName: "cloud-cert-manager-ca" } });
  });

  test("the Gateway's wildcard certificate for the domain comes from the CA issuer", () => {
    const cert = mocks.one("kubernetes:cert-manager.io/v1:Certificate", "cloud-cert-manager-gateway-tls");
    assert.deepEqual(cert.inputs["spec"].dnsNames, ["kuar.example.com", "*.kuar.example.com"]);
    assert.equal(cert.inputs["spec"].secretName, "cloud-gateway-tls");
    assert.equal(cert.inputs["spec"].issuerRef.name, "cloud-cert-manager-ca");
  });

  test("the platform exposes the https Gateway, the cloud's storage class and the domain", async () => {
    const p = stacks.cloud.platform;
    assert.equal(await valueOf(p.appsNamespace), "apps");
    assert.ok(p.gateway);
    assert.equal(await valueOf(p.gateway.name), "cloud-gateway");
    assert.equal(await valueOf(p.gateway.namespace), "kuar-system");
    assert.equal(p.gateway.sectionName, "https");
    assert.equal(p.gateway.scheme, "https");
    assert.equal(await valueOf(p.storageClass), "standard-rwo");
    assert.equal(p.domain, "kuar.example.com");
    assert.equal(await valueOf(p.clusterIssuer!), "cloud-cert-manager-ca");
  });

  test("every child uses the cluster's provider", () => {
    const custom = of("cloud").filter((r) => r.custom && r.type !== "pulumi:providers:kubernetes");
    assert.ok(custom.length > 10);
    for (const r of custom) assert.match(r.provider ?? "", /cloud-k8s/, `${r.type} ${r.name}`);
  });
});

describe("order of creation", () => {
  test("custom resources wait for the chart that ships their CRDs", () => {
    assert.deepEqual(deps.get("cloud-gateway-class"), ["cloud-gateway-envoy-gateway"]);
    assert.deepEqual(deps.get("cloud-gateway", ":Gateway"), ["cloud-gateway-envoy-gateway"]);
    assert.deepEqual(deps.get("cloud-cert-manager-selfsigned"), ["cloud-cert-manager"]);
    assert.deepEqual(deps.get("metal-metallb-pool"), ["metal-metallb"]);
    assert.deepEqual(deps.get("metal-metallb-l2"), ["metal-metallb"]);
  });

  test("issuers wait for cert-manager, the CA issuer for its CA, the Gateway certificate for its issuer", () => {
    assert.deepEqual(deps.get("cloud-cert-manager-ca", ":Certificate"), [
      "cloud-cert-manager",
      "cloud-cert-manager-selfsigned",
    ]);
    assert.deepEqual(deps.get("cloud-cert-manager-ca", ":ClusterIssuer"), [
      "cloud-cert-manager",
      "cloud-cert-manager-ca",
    ]);
    assert.deepEqual(deps.get("cloud-cert-manager-gateway-tls"), ["cloud-cert-manager", "cloud-cert-manager-ca"]);
  });

  test("cert-manager starts after the Gateway API CRDs; charts after their namespace", () => {
    const cm = deps.get("cloud-cert-manager")!;
    assert.ok(cm.includes("cloud-gateway-envoy-gateway"), String(cm));
    assert.ok(cm.includes("cloud-gateway"), String(cm));
    assert.ok(cm.includes("cloud-namespaces-system"), String(cm));
    assert.ok(deps.get("cloud-gateway-envoy-gateway")!.includes("cloud-namespaces-system"));
    assert.ok(deps.get("cloud-dashboard", ":ServiceAccount")!.includes("cloud-namespaces-system"));
    assert.ok(deps.get("cloud-dashboard-headlamp")!.includes("cloud-dashboard"), "Headlamp waits for its RBAC");
  });

  test("on a cluster without DNS, charts wait for CoreDNS", () => {
    const eg = deps.get("bare-gateway-envoy-gateway")!;
    assert.ok(eg.includes("bare-coredns"), String(eg));
  });

  test("Platform.dependsOn holds the namespaces, policies, Gateway and storage workloads wait for", () => {
    const names = stacks.bare.platform.dependsOn.map((r) => (r as unknown as { __name: string }).__name);
    for (const n of [
      "bare-namespaces-apps",
      "bare-namespaces-default-deny-ingress",
      "bare-coredns",
      "bare-gateway-envoy-gateway",
      "bare-gateway",
      "bare-storage",
    ]) {
      assert.ok(names.includes(n), `${n} in ${names.join(", ")}`);
    }
  });
});

describe("bare metal, arm64, MetalLB", () => {
  test("installs MetalLB with a pool from config and an L2 advertisement, and metrics-server", () => {
    assert.deepEqual(chartList("metal"), ["cert-manager", "gateway-helm", "headlamp", "metallb", "metrics-server"]);
    const metallb = chartNamed("metal", "metallb");
    assert.equal(metallb.inputs["version"], charts.metallb.version);
    assert.deepEqual(metallb.inputs["repositoryOpts"], { repo: charts.metallb.repo });
    assert.equal(metallb.inputs["namespace"], "metallb-system");
    const pool = mocks.one("kubernetes:metallb.io/v1beta1:IPAddressPool", "metal-metallb-pool");
    assert.deepEqual(pool.inputs["spec"].addresses, ["192.168.1.240-192.168.1.250", "192.168.2.0/28"]);
    const l2 = mocks.one("kubernetes:metallb.io/v1beta1:L2Advertisement", "metal-metallb-l2");
    assert.deepEqual(l2.inputs["spec"].ipAddressPools, ["metal-metallb"]);
  });

  test("MetalLB's namespace is privileged (the speaker uses the host network)", () => {
    const ns = mocks.one("kubernetes:core/v1:Namespace", "metal-metallb");
    assert.equal(ns.inputs["metadata"].labels["pod-security.kubernetes.io/enforce"], "privileged");
  });

  test("metrics-server uses the pinned image with two replicas and a disruption budget", () => {
    const ms = chartNamed("metal", "metrics-server");
    assert.equal(ms.inputs["version"], charts.metricsServer.version);
    assert.equal(`${ms.inputs["values"].image.repository}:${ms.inputs["values"].image.tag}`, images.metricsServer);
    assert.equal(ms.inputs["values"].replicas, 2);
    assert.equal(ms.inputs["values"].podDisruptionBudget.enabled, true);
  });
});

describe("local, offline", () => {
  test("no chart is registered: charts need the internet", () => {
    assert.deepEqual(chartsIn("local"), []);
  });

  test("skipped lists every add-on left out, with its reason", () => {
    const skipped = Object.fromEntries(stacks.local.skipped.map((s) => [s.addon, s.reason]));
    const offline = "chart download needs the internet; this cluster is offline (capabilities.online is false)";
    assert.equal(skipped["headlamp"], offline);
    assert.equal(skipped["envoy-gateway"], offline);
    assert.equal(skipped["cert-manager"], offline);
    assert.equal(skipped["metrics-server"], offline);
    assert.match(skipped["local-path-storage"]!, /already has a default StorageClass "standard"/);
    assert.equal(skipped["coredns"], undefined, "CoreDNS is plain objects and is installed");
  });

  test("what works offline is deployed: namespaces, policies, CoreDNS, the dashboard's RBAC", () => {
    mocks.one("kubernetes:core/v1:Namespace", "local-namespaces-apps");
    mocks.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "local-namespaces-default-deny-ingress");
    mocks.one("kubernetes:apps/v1:Deployment", "local-coredns");
    mocks.one("kubernetes:core/v1:ServiceAccount", "local-dashboard");
    mocks.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "local-dashboard");
  });

  test("without a gateway the platform has none, and keeps the target's storage class", async () => {
    assert.equal(stacks.local.platform.gateway, undefined);
    assert.equal(stacks.local.platform.clusterIssuer, undefined);
    assert.equal(await valueOf(stacks.local.platform.storageClass), "standard");
  });
});

describe("namespaces and policies", () => {
  test("apps enforces restricted, system enforces baseline", () => {
    const apps = mocks.one("kubernetes:core/v1:Namespace", "cloud-namespaces-apps");
    assert.equal(apps.inputs["metadata"].name, "apps");
    assert.equal(apps.inputs["metadata"].labels["pod-security.kubernetes.io/enforce"], "restricted");
    const system = mocks.one("kubernetes:core/v1:Namespace", "cloud-namespaces-system");
    assert.equal(system.inputs["metadata"].name, "kuar-system");
    assert.equal(system.inputs["metadata"].labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.equal(system.inputs["metadata"].labels["pod-security.kubernetes.io/warn"], "restricted");
  });

  test("the apps namespace gets its default NetworkPolicies; the system namespace admits the Gateway by label", () => {
    const policies = of("cloud").filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    assert.deepEqual(policies.map((p) => p.inputs["metadata"].name).sort(), [
      "allow-dns-egress",
      "allow-egress-in-namespace",
      "default-deny-ingress",
    ]);
    for (const p of policies) assert.equal(p.inputs["metadata"].namespace, "apps");
    const system = mocks.one("kubernetes:core/v1:Namespace", "cloud-namespaces-system");
    assert.equal(system.inputs["metadata"].labels["kuar.dev/gateway-proxies"], "true");
  });
});

describe("a cluster lacking DNS, metrics and storage", () => {
  test("the local-path provisioner is told our ConfigMap's name (helper pods mount their scripts from it)", () => {
    const d = mocks.one("kubernetes:apps/v1:Deployment", "bare-storage");
    const cm = mocks.one("kubernetes:core/v1:ConfigMap", "bare-storage");
    const command: string[] = d.inputs["spec"].template.spec.containers[0].command;
    const at = command.indexOf("--configmap-name");
    assert.ok(at > 0, `--configmap-name in ${command.join(" ")}`);
    assert.equal(command[at + 1], cm.inputs["metadata"].name);
    assert.ok(cm.inputs["data"]["setup"] && cm.inputs["data"]["teardown"] && cm.inputs["data"]["helperPod.yaml"]);
  });

  test("the Envoy Gateway chart keeps its certgen Job (no TTL), so a refresh finds nothing gone", () => {
    const values = chartNamed("bare", "gateway-helm").inputs["values"];
    assert.deepEqual(values.certgen, { job: { ttlSecondsAfterFinished: null } });
  });

  test("gets CoreDNS as plain objects with kube-dns at the configured clusterIP", () => {
    const svc = mocks.one("kubernetes:core/v1:Service", "bare-coredns");
    assert.equal(svc.inputs["metadata"].name, "kube-dns");
    assert.equal(svc.inputs["metadata"].namespace, "kube-system");
    assert.equal(svc.inputs["spec"].clusterIP, "10.96.0.10");
    // Its address, not the provider's 10 s Endpoints settle, is what `up` waits for (common/awaits.ts).
    assert.equal(svc.inputs["metadata"].annotations?.["pulumi.com/waitFor"], "jsonpath={.spec.clusterIP}");
    assert.deepEqual(
      svc.inputs["spec"].ports.map((p: any) => [p.protocol, p.port, p.targetPort]),
      [
        ["UDP", 53, 1053],
        ["TCP", 53, 1053],
        ["TCP", 9153, 9153],
      ],
    );
    const cm = mocks.one("kubernetes:core/v1:ConfigMap", "bare-coredns");
    assert.match(cm.inputs["data"].Corefile, /^\.:1053 \{/);
    mocks.one("kubernetes:core/v1:ServiceAccount", "bare-coredns");
    mocks.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "bare-coredns");
    mocks.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "bare-coredns");
  });

  test("the CoreDNS Deployment has probes, limits and a locked-down security context", () => {
    const d = mocks.one("kubernetes:apps/v1:Deployment", "bare-coredns");
    const pod = d.inputs["spec"].template.spec;
    const c = pod.containers[0];
    assert.equal(c.image, images.coredns);
    assert.equal(c.livenessProbe.httpGet.path, "/health");
    assert.equal(c.readinessProbe.httpGet.path, "/ready");
    assert.ok(c.resources.requests.memory && c.resources.limits.memory);
    // NET_BIND_SERVICE back: the image's /coredns has it as a file capability, and exec fails without it.
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
    });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(d.inputs["spec"].replicas, 1, "no more replicas than nodes");
    assert.equal(of("bare").filter((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget").length, 0);
  });

  test("CoreDNS on a multi-node cluster gets a disruption budget", () => {
    mocks.one("kubernetes:policy/v1:PodDisruptionBudget", "local-coredns");
  });

  test("gets a default local-path StorageClass, which the platform then uses", async () => {
    const sc = mocks.one("kubernetes:storage.k8s.io/v1:StorageClass", "bare-storage");
    assert.equal(sc.inputs["metadata"].name, "local-path");
    assert.equal(sc.inputs["metadata"].annotations["storageclass.kubernetes.io/is-default-class"], "true");
    assert.equal(sc.inputs["provisioner"], "rancher.io/local-path");
    assert.equal(sc.inputs["volumeBindingMode"], "WaitForFirstConsumer");
    const d = mocks.one("kubernetes:apps/v1:Deployment", "bare-storage");
    assert.equal(d.inputs["spec"].template.spec.containers[0].image, images.localPathProvisioner);
    assert.equal(await valueOf(stacks.bare.platform.storageClass), "local-path");
  });

  test("gets metrics-server, and the Gateway as NodePort since nothing hands out load balancers", () => {
    chartNamed("bare", "metrics-server");
    const proxy = mocks.one("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "bare-gateway-proxy");
    assert.equal(proxy.inputs["spec"].provider.kubernetes.envoyService.type, "NodePort");
    const cls = mocks.one("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "bare-gateway-class");
    assert.equal(cls.inputs["spec"].parametersRef.kind, "EnvoyProxy");
  });

  test("external-dns, when enabled, gets provider, domain filters, owner and credentials", () => {
    const values = chartNamed("bare", "external-dns").inputs["values"];
    assert.deepEqual(values.provider, { name: "cloudflare" });
    assert.deepEqual(values.domainFilters, ["kuar.local"]);
    assert.equal(values.txtOwnerId, "kuar");
    assert.deepEqual(values.env, [
      { name: "CF_API_TOKEN", valueFrom: { secretKeyRef: { name: "cf-token", key: "CF_API_TOKEN" } } },
    ]);
    assert.deepEqual(values.sources, ["service", "gateway-httproute"]);
  });
});

describe("ACME", () => {
  test("an ACME ClusterIssuer with EAB from the secret and HTTP-01 through the Gateway", async () => {
    const issuer = mocks.one("kubernetes:cert-manager.io/v1:ClusterIssuer", "acme-cert-manager-acme");
    const acme = issuer.inputs["spec"].acme;
    assert.equal(acme.email, "ops@example.com");
    assert.equal(acme.server, "https://acme-staging-v02.api.letsencrypt.org/directory");
    assert.deepEqual(acme.externalAccountBinding, {
      keyID: "kid-7",
      keySecretRef: { name: "acme-cert-manager-acme-eab", key: "secret" },
    });
    assert.deepEqual(acme.solvers[0].http01.gatewayHTTPRoute.parentRefs, [
      { kind: "Gateway", name: "acme-gateway", namespace: "kuar-system", sectionName: "http" },
    ]);
    const secret = mocks.one("kubernetes:core/v1:Secret", "acme-cert-manager-acme-eab");
    // The HMAC key reaches the engine as a secret (the SDK's secret signature), never in plain text.
    assert.deepEqual(secret.inputs["stringData"], {
      [SECRET_KEY]: SECRET_SIG,
      value: { secret: "hmac-secret" },
    });
    assert.equal(of("acme").filter((r) => r.type === "kubernetes:cert-manager.io/v1:ClusterIssuer").length, 1);
    const cert = mocks.one("kubernetes:cert-manager.io/v1:Certificate", "acme-cert-manager-gateway-tls");
    assert.deepEqual(cert.inputs["spec"].dnsNames, ["ghost.kuar.example.com"]);
    assert.equal(await valueOf(stacks.acme.platform.clusterIssuer!), "acme-cert-manager-acme");
  });
});

describe("toggles", () => {
  test("add-ons turned off are absent, even where the cluster lacks them", async () => {
    assert.deepEqual(chartsIn("off"), []);
    assert.deepEqual([...new Set(of("off").map((r) => r.type))].sort(), [
      "kuar:bootstrap:Bootstrap",
      "kuar:bootstrap:Namespaces",
      "kubernetes:core/v1:Namespace",
      "pulumi:providers:kubernetes",
    ]);
    assert.equal(stacks.off.platform.gateway, undefined);
    assert.deepEqual(stacks.off.skipped.map((s) => s.addon).sort(), [
      "cert-manager",
      "coredns",
      "dashboard-rbac",
      "envoy-gateway",
      "external-dns",
      "headlamp",
      "local-path-storage",
      "metallb",
      "metrics-server",
    ]);
  });

  test("without cert-manager the Gateway serves http only and the platform says so", async () => {
    assert.equal(stacks.local.platform.gateway, undefined);
    const bareGw = mocks.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "bare-gateway");
    assert.equal(bareGw.inputs["spec"].listeners.length, 2, "bare has cert-manager: https too");
  });

  test("fails when the cluster's load balancer is MetalLB and no pool is set, before any child registers", async () => {
    const before = mocks.resources.length;
    assert.throws(() => boot("nopool", metal), /kuar:addons\.metallb\.addresses: needs at least one address range/);
    await mocks.settle();
    assert.deepEqual(
      mocks.resources.slice(before).map((r) => r.type),
      ["pulumi:providers:kubernetes"],
      "only the test's own provider registered",
    );
  });
});
