/** Pure pieces of bootstrap: the Corefile, NetworkPolicies, PSA labels, listeners, chart args, ACME issuer. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { acmeIssuerSpec, acmeServerUrl } from "../../../bootstrap/cert-manager.js";
import { chartArgs, imageValues } from "../../../bootstrap/chart.js";
import { clusterRoleFor } from "../../../bootstrap/dashboard.js";
import { renderCorefile } from "../../../bootstrap/dns.js";
import { gatewayListeners } from "../../../bootstrap/gateway.js";
import { podSecurityLabels } from "../../../bootstrap/namespaces.js";
import { appsNetworkPolicies, clusterDns, portsExcept } from "../../../bootstrap/network.js";
import { localPathConfig } from "../../../bootstrap/storage.js";
import { charts } from "../../../config/versions.js";

describe("Corefile", () => {
  test("defaults serve cluster.local and forward the rest to the node's resolver", () => {
    assert.equal(
      renderCorefile(),
      `.:1053 {
    errors
    health {
        lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
        max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`,
    );
  });

  test("upstreams, stub domains and the cluster domain are rendered", () => {
    const text = renderCorefile({
      clusterDomain: "cluster.example",
      upstreams: ["1.1.1.1", "9.9.9.9:5353"],
      stubDomains: [
        { domain: "corp.example", servers: ["10.0.0.53", "10.0.0.54:53"] },
        { domain: "lab.example", servers: ["192.168.1.1:5300"] },
      ],
    });
    assert.match(text, /kubernetes cluster\.example in-addr\.arpa ip6\.arpa \{/);
    assert.match(text, /forward \. 1\.1\.1\.1 9\.9\.9\.9:5353 \{/);
    assert.ok(
      text.includes("\ncorp.example:1053 {\n    errors\n    cache 30\n    forward . 10.0.0.53 10.0.0.54\n}\n"),
      text,
    );
    assert.ok(
      text.endsWith("\nlab.example:1053 {\n    errors\n    cache 30\n    forward . 192.168.1.1:5300\n}\n"),
      text,
    );
  });
});

describe("namespaces", () => {
  test("Pod Security labels enforce the level and warn and audit at restricted", () => {
    assert.deepEqual(podSecurityLabels("baseline"), {
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
  });

  const dns = clusterDns(true, 1053);
  test("restricted egress: deny ingress, allow egress in the namespace and to the DNS pods on their port", () => {
    const p = appsNetworkPolicies({ egress: "restricted", dns });
    assert.deepEqual(Object.keys(p), ["default-deny-ingress", "allow-egress-in-namespace", "allow-dns-egress"]);
    assert.deepEqual(p["default-deny-ingress"], { podSelector: {}, policyTypes: ["Ingress"] });
    assert.deepEqual(p["allow-egress-in-namespace"]!.egress, [{ to: [{ podSelector: {} }] }]);
    assert.deepEqual(p["allow-dns-egress"]!.egress, [
      {
        to: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 1053 },
          { protocol: "TCP", port: 1053 },
        ],
      },
    ]);
    assert.equal(clusterDns(false, 1053).port, 53, "a cluster's own DNS pods listen on 53");
  });

  test("no namespace-wide policy admits anyone: apps open their own ports", () => {
    for (const spec of Object.values(appsNetworkPolicies({ egress: "restricted", dns }))) {
      assert.equal(spec.ingress, undefined);
    }
  });

  test("open egress adds no egress policy", () => {
    const p = appsNetworkPolicies({ egress: "open", dns });
    assert.deepEqual(Object.keys(p), ["default-deny-ingress"]);
  });

  test("portsExcept covers every other port exactly once", () => {
    assert.deepEqual(portsExcept([]), [{ protocol: "TCP", port: 1, endPort: 65535 }]);
    assert.deepEqual(portsExcept([1, 80, 81, 65535]), [
      { protocol: "TCP", port: 2, endPort: 79 },
      { protocol: "TCP", port: 82, endPort: 65534 },
    ]);
    assert.deepEqual(portsExcept([3], "UDP"), [
      { protocol: "UDP", port: 1, endPort: 2 },
      { protocol: "UDP", port: 4, endPort: 65535 },
    ]);
    assert.deepEqual(portsExcept([2, 4]).slice(0, 2), [
      { protocol: "TCP", port: 1 },
      { protocol: "TCP", port: 3 },
    ]);
  });
});

describe("gateway and certificates", () => {
  test("http only without a certificate; https terminates with it", () => {
    assert.deepEqual(
      gatewayListeners({ routeNamespaces: ["apps"] }).map((l) => l["name"]),
      ["http"],
    );
    const [http, https] = gatewayListeners({ routeNamespaces: ["apps", "sys"], tlsSecretName: "gw-tls" });
    assert.equal(http!["port"], 80);
    assert.equal(https!["port"], 443);
    assert.deepEqual(https!["tls"], { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "gw-tls" }] });
    assert.deepEqual(https!["allowedRoutes"], {
      namespaces: {
        from: "Selector",
        selector: {
          matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["apps", "sys"] }],
        },
      },
    });
  });

  test("ACME servers resolve to Let's Encrypt directories", () => {
    assert.equal(acmeServerUrl("production"), "https://acme-v02.api.letsencrypt.org/directory");
    assert.equal(acmeServerUrl("staging"), "https://acme-staging-v02.api.letsencrypt.org/directory");
    assert.equal(acmeServerUrl("https://ca.example/dir"), "https://ca.example/dir");
  });

  test("ACME HTTP-01 answers through the Gateway's http listener; EAB refers to the secret", () => {
    const spec = acmeIssuerSpec(
      { email: "ops@example.com", server: "staging", eabKeyId: "kid" },
      { accountSecret: "acct", eabSecret: "eab", gateway: { name: "gw", namespace: "sys" } },
    );
    assert.deepEqual(spec, {
      acme: {
        email: "ops@example.com",
        server: "https://acme-staging-v02.api.letsencrypt.org/directory",
        privateKeySecretRef: { name: "acct" },
        externalAccountBinding: { keyID: "kid", keySecretRef: { name: "eab", key: "secret" } },
        solvers: [
          {
            http01: {
              gatewayHTTPRoute: {
                parentRefs: [{ kind: "Gateway", name: "gw", namespace: "sys", sectionName: "http" }],
              },
            },
          },
        ],
      },
    });
  });

  test("a DNS-01 solver from config is passed through as-is", () => {
    const spec = acmeIssuerSpec(
      { email: "a@b.co", server: "production", dns01: { cloudflare: { apiTokenSecretRef: { name: "cf", key: "t" } } } },
      { accountSecret: "acct" },
    ) as { acme: { solvers: unknown[] } };
    assert.deepEqual(spec.acme.solvers, [{ dns01: { cloudflare: { apiTokenSecretRef: { name: "cf", key: "t" } } } }]);
  });
});

describe("charts, images, dashboard and storage", () => {
  test("https repositories go through repositoryOpts; OCI ones are a full chart reference", () => {
    assert.deepEqual(chartArgs(charts.headlamp, "sys", { a: 1 }), {
      chart: "headlamp",
      version: charts.headlamp.version,
      repositoryOpts: { repo: "https://kubernetes-sigs.github.io/headlamp/" },
      namespace: "sys",
      values: { a: 1 },
    });
    assert.deepEqual(chartArgs(charts.envoyGateway, "sys", {}), {
      chart: "oci://docker.io/envoyproxy/gateway-helm",
      version: charts.envoyGateway.version,
      namespace: "sys",
      values: {},
    });
  });

  test("image pins split into repository and tag, and an untagged pin is refused", () => {
    assert.deepEqual(imageValues("registry.k8s.io/metrics-server/metrics-server:v0.8.0"), {
      repository: "registry.k8s.io/metrics-server/metrics-server",
      tag: "v0.8.0",
    });
    assert.deepEqual(imageValues("localhost:5000/x:1"), { repository: "localhost:5000/x", tag: "1" });
    assert.throws(() => imageValues("localhost:5000/x"), /has no tag/);
  });

  test("read-only binds view, admin binds cluster-admin", () => {
    assert.equal(clusterRoleFor("read-only"), "view");
    assert.equal(clusterRoleFor("admin"), "cluster-admin");
  });

  test("local-path config maps every node to the configured directory", () => {
    assert.deepEqual(JSON.parse(localPathConfig("/data")), {
      nodePathMap: [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: ["/data"] }],
    });
  });
});
