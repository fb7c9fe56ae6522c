/** planAddons: which add-ons each kind of cluster gets, why the rest are skipped, and in what order. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../../config/errors.js";
import { addonsSchema } from "../../../bootstrap/schema.js";
import { planAddons, type AddonId, type AddonPlan } from "../../../bootstrap/plan.js";
import { bare, cloud, local, metal } from "./capabilities.js";

// The schema alone: these tests pair add-on config with capabilities and secrets themselves.
const addons = (input: Record<string, unknown> = {}) => addonsSchema.parse(input);
const installed = (p: AddonPlan) => (Object.keys(p.install) as AddonId[]).filter((k) => p.install[k]).sort();
const reason = (p: AddonPlan, id: AddonId) => p.skipped.find((s) => s.addon === id)?.reason;

describe("which add-ons apply", () => {
  test("a cloud cluster gets the gateway, cert-manager and the dashboard, nothing it already has", () => {
    const p = planAddons(cloud, addons());
    assert.deepEqual(installed(p), ["cert-manager", "dashboard-rbac", "envoy-gateway", "headlamp", "namespaces"]);
    assert.match(reason(p, "coredns")!, /already runs DNS/);
    assert.match(reason(p, "metrics-server")!, /already serves the metrics API/);
    assert.match(reason(p, "local-path-storage")!, /already has a default StorageClass "standard-rwo"/);
    assert.match(reason(p, "metallb")!, /capabilities\.loadBalancer is "cloud"/);
    assert.match(reason(p, "external-dns")!, /off by default/);
  });

  test("a bare-metal arm64 cluster gets MetalLB and metrics-server as well", () => {
    const p = planAddons(metal, addons({ metallb: { addresses: ["192.168.1.240-192.168.1.250"] } }));
    assert.deepEqual(installed(p), [
      "cert-manager",
      "dashboard-rbac",
      "envoy-gateway",
      "headlamp",
      "metallb",
      "metrics-server",
      "namespaces",
    ]);
  });

  test("the offline local cluster gets only what works without the internet, and says why for the rest", () => {
    const p = planAddons(local, addons());
    assert.deepEqual(installed(p), ["coredns", "dashboard-rbac", "namespaces"]);
    const offline = /^chart download needs the internet; this cluster is offline \(capabilities\.online is false\)$/;
    for (const id of ["headlamp", "envoy-gateway", "cert-manager", "metrics-server"] as const) {
      assert.match(reason(p, id)!, offline, id);
    }
    assert.match(reason(p, "local-path-storage")!, /already has a default StorageClass "standard"/);
  });

  test("a cluster lacking DNS, metrics and storage gets CoreDNS, metrics-server and local-path", () => {
    const p = planAddons(bare, addons());
    for (const id of ["coredns", "metrics-server", "local-path-storage", "envoy-gateway", "cert-manager"] as const) {
      assert.equal(p.install[id], true, id);
    }
    assert.equal(p.install.metallb, false);
  });

  test("no storage is added where containers never run, and the reason says so", () => {
    const p = planAddons({ ...local, defaultStorageClass: undefined }, addons());
    assert.equal(p.install["local-path-storage"], false);
    assert.match(reason(p, "local-path-storage")!, /containers do not run/);
  });

  test("toggles turn add-ons off whatever the cluster needs", () => {
    const p = planAddons(
      bare,
      addons({
        dns: { enabled: false },
        dashboard: { enabled: false },
        gateway: { enabled: false },
        certManager: { enabled: false },
        metrics: { enabled: false },
        storage: { enabled: false },
      }),
    );
    assert.deepEqual(installed(p), ["namespaces"]);
    assert.equal(reason(p, "envoy-gateway"), "disabled by kuar:addons.gateway.enabled");
    assert.equal(reason(p, "coredns"), "disabled by kuar:addons.dns.enabled");
  });

  test("external-dns installs when enabled on an online cluster only", () => {
    const on = addons({ externalDns: { enabled: true, provider: "cloudflare" } });
    assert.equal(planAddons(cloud, on).install["external-dns"], true);
    assert.equal(planAddons(local, on).install["external-dns"], false);
  });

  test("the plan never depends on anything but capabilities and config", () => {
    assert.deepEqual(planAddons({ ...cloud }, addons()), planAddons(cloud, addons()));
  });
});

describe("install order", () => {
  test("CRD consumers wait for the charts that ship the CRDs, everything waits for namespaces and DNS", () => {
    const p = planAddons(bare, addons({ externalDns: { enabled: true, provider: "aws" } }));
    assert.deepEqual(p.after["cert-manager"], ["namespaces", "coredns", "envoy-gateway"]);
    assert.deepEqual(p.after["external-dns"], ["namespaces", "coredns", "envoy-gateway"]);
    assert.deepEqual(p.after["envoy-gateway"], ["namespaces", "coredns"]);
    assert.deepEqual(p.after.headlamp, ["namespaces", "coredns", "dashboard-rbac"]);
    assert.deepEqual(p.after["local-path-storage"], ["coredns"]);
    assert.deepEqual(p.after.namespaces, []);
  });

  test("the gateway waits for MetalLB where MetalLB gives it its address", () => {
    const p = planAddons(metal, addons({ metallb: { addresses: ["10.0.0.0/29"] } }));
    assert.deepEqual(p.after["envoy-gateway"], ["namespaces", "metallb"]);
  });

  test("dependencies on add-ons that are not installed are dropped", () => {
    const p = planAddons(cloud, addons());
    assert.deepEqual(p.after["cert-manager"], ["namespaces", "envoy-gateway"]);
    assert.equal(p.after.coredns, undefined, "skipped add-ons have no order entry");
  });
});

describe("problems only the capabilities reveal", () => {
  const problems = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
    assert.fail("accepted");
  };

  test("fails when the cluster's load balancer is MetalLB and no address pool is configured", () => {
    assert.match(
      problems(() => planAddons(metal, addons())),
      /kuar:addons\.metallb\.addresses: needs at least one address range: .*capabilities\.loadBalancer is "metallb".*, got \[\]\. Reserve free addresses .*pulumi config set --path 'kuar:addons\.metallb\.addresses\[0\]'/,
    );
  });

  test("a missing pool is fine when MetalLB is turned off", () => {
    assert.equal(planAddons(metal, addons({ metallb: { enabled: false } })).install.metallb, false);
  });

  test("fails when an EAB key ID is set without the HMAC secret", () => {
    const a = addons({ certManager: { issuer: "acme", acme: { email: "a@b.co", dns01: {}, eabKeyId: "kid-1" } } });
    assert.match(
      problems(() => planAddons(cloud, a)),
      /kuar:acmeEabHmacKey: is required because kuar:addons\.certManager\.acme\.eabKeyId is set .*Run: pulumi config set --secret kuar:acmeEabHmacKey/,
    );
    assert.equal(planAddons(cloud, a, { secrets: ["acmeEabHmacKey"] }).install["cert-manager"], true);
  });

  test("fails when the EAB secret is set without a key ID", () => {
    const a = addons({ certManager: { issuer: "acme", acme: { email: "a@b.co", dns01: {} } } });
    assert.match(
      problems(() => planAddons(cloud, a, { secrets: ["acmeEabHmacKey"] })),
      /kuar:addons\.certManager\.acme\.eabKeyId: is required because the secret kuar:acmeEabHmacKey is set/,
    );
  });
});
