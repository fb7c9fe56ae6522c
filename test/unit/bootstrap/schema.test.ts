/** `kuar:addons` validation: defaults, and every bad setting rejected with path, value, allowed and fix. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../../config/errors.js";
import { parseObject } from "../../../config/load.js";

function addons(input: Record<string, unknown>) {
  return parseObject({ addons: input }).addons;
}

/** Parses and returns the error message, failing the test if the config was accepted. */
function rejected(input: Record<string, unknown>): string {
  try {
    parseObject({ addons: input });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`config was accepted: ${JSON.stringify(input)}`);
}

describe("valid add-on config", () => {
  test("an empty kuar:addons gives the documented defaults", () => {
    const a = addons({});
    assert.equal(a.domain, "kuar.local");
    assert.deepEqual(a.namespaces, {
      system: "kuar-system",
      apps: "apps",
      networkPolicies: true,
      egress: "restricted",
    });
    assert.equal(a.dns.clusterIP, "10.96.0.10");
    assert.equal(a.dns.replicas, 2);
    assert.deepEqual(a.dns.upstreams, []);
    assert.equal(a.dashboard.access, "read-only");
    assert.equal(a.certManager.issuer, "self-signed");
    assert.equal(a.storage.className, "local-path");
    assert.deepEqual(a.metallb.addresses, []);
    assert.equal(a.externalDns.enabled, false);
    assert.deepEqual(parseObject({}).addons, a, "no kuar:addons at all is the same as an empty one");
  });

  test("ranges, CIDRs, stub domains and ACME with DNS-01 are accepted", () => {
    const a = addons({
      domain: "kuar.example.com",
      metallb: { addresses: ["192.168.1.240-192.168.1.250", "192.168.2.0/28"] },
      dns: {
        upstreams: ["1.1.1.1", "10.0.0.53:5353"],
        stubDomains: [{ domain: "corp.example", servers: ["10.1.0.2"] }],
      },
      certManager: { issuer: "acme", acme: { email: "ops@example.com", server: "staging", dns01: { cloudflare: {} } } },
    });
    assert.equal(a.metallb.addresses.length, 2);
    assert.equal(a.certManager.acme?.server, "staging");
  });

  test("ACME over HTTP-01 is accepted with explicit hostnames", () => {
    const a = addons({
      domain: "kuar.example.com",
      certManager: { issuer: "acme", acme: { email: "ops@example.com", hosts: ["ghost.kuar.example.com"] } },
    });
    assert.equal(a.certManager.acme?.server, "production");
  });
});

describe("bad add-on config", () => {
  test("fails when a MetalLB range starts after it ends", () => {
    assert.match(
      rejected({ metallb: { addresses: ["192.168.1.250-192.168.1.240"] } }),
      /kuar:addons\.metallb\.addresses\[0\]: starts after it ends, got "192\.168\.1\.250-192\.168\.1\.240"\. Put the lower address first/,
    );
  });

  test("fails when a MetalLB range holds an invalid IP", () => {
    assert.match(
      rejected({ metallb: { addresses: ["192.168.1.300-192.168.1.310"] } }),
      /kuar:addons\.metallb\.addresses\[0\]: expected an IPv4 range .* or a CIDR .*, got "192\.168\.1\.300-192\.168\.1\.310"\. Write two IPv4 addresses/,
    );
  });

  test("fails when MetalLB pools overlap", () => {
    assert.match(
      rejected({ metallb: { addresses: ["192.168.1.240-192.168.1.250", "192.168.1.248/29"] } }),
      /kuar:addons\.metallb\.addresses\[1\]: overlaps metallb\.addresses\[0\] \(192\.168\.1\.240-192\.168\.1\.250\), got "192\.168\.1\.248\/29"\. Pick ranges that do not share addresses/,
    );
  });

  test("fails when the ACME email is not an email", () => {
    assert.match(
      rejected({ certManager: { issuer: "acme", acme: { email: "ops-at-example", dns01: {} } } }),
      /kuar:addons\.certManager\.acme\.email: expected an email address .*, got "ops-at-example"\. Use a mailbox you read/,
    );
  });

  test("fails when the issuer is acme but no acme settings are given", () => {
    assert.match(
      rejected({ certManager: { issuer: "acme" } }),
      /kuar:addons\.certManager\.acme: is required when certManager\.issuer is "acme", got nothing\. Set at least the email/,
    );
  });

  test("fails when ACME HTTP-01 would have to prove the default wildcard", () => {
    assert.match(
      rejected({ domain: "kuar.example.com", certManager: { issuer: "acme", acme: { email: "ops@example.com" } } }),
      /kuar:addons\.certManager\.acme\.hosts: must list names without wildcards for HTTP-01 \(the default includes "\*\.kuar\.example\.com", which only DNS-01 can prove\), got nothing\. List the app hostnames, .* or set certManager\.acme\.dns01\./,
    );
  });

  test("fails when ACME HTTP-01 is asked for with the gateway off", () => {
    assert.match(
      rejected({
        gateway: { enabled: false },
        certManager: { issuer: "acme", acme: { email: "ops@example.com", hosts: ["a.kuar.local"] } },
      }),
      /kuar:addons\.gateway\.enabled: must be true for ACME HTTP-01.*, got false\. Enable the gateway, or set certManager\.acme\.dns01/,
    );
  });

  test("fails when the ACME server is neither a known name nor an https URL", () => {
    assert.match(
      rejected({ certManager: { issuer: "acme", acme: { email: "a@b.co", server: "http://ca.local", dns01: {} } } }),
      /kuar:addons\.certManager\.acme\.server: expected "production", "staging" or an https:\/\/ ACME directory URL, got "http:\/\/ca\.local"/,
    );
  });

  test("fails when the domain is not a DNS name", () => {
    assert.match(
      rejected({ domain: "https://Kuar.Example.com/" }),
      /kuar:addons\.domain: expected a lowercase DNS name such as "kuar\.example\.com", got "https:\/\/Kuar\.Example\.com\/"\. Use lowercase labels/,
    );
  });

  test("fails when a stub domain has a bad upstream", () => {
    assert.match(
      rejected({ dns: { stubDomains: [{ domain: "corp.example", servers: ["10.0.0.300"] }] } }),
      /kuar:addons\.dns\.stubDomains\[0\]\.servers\[0\]: expected a DNS server as an IPv4 address .*, got "10\.0\.0\.300"/,
    );
  });

  test("fails when a stub domain is not a domain name", () => {
    assert.match(
      rejected({ dns: { stubDomains: [{ domain: "corp_example", servers: ["10.0.0.3"] }] } }),
      /kuar:addons\.dns\.stubDomains\[0\]\.domain: expected a lowercase DNS name/,
    );
  });

  test("fails when an upstream has a port out of range", () => {
    assert.match(
      rejected({ dns: { upstreams: ["1.1.1.1:70000"] } }),
      /kuar:addons\.dns\.upstreams\[0\]: .*got "1\.1\.1\.1:70000"/,
    );
  });

  test("fails when the DNS clusterIP is not an IPv4 address", () => {
    assert.match(
      rejected({ dns: { clusterIP: "10.96.0" } }),
      /kuar:addons\.dns\.clusterIP: expected an IPv4 address such as "10\.96\.0\.10", got "10\.96\.0"\. Write four numbers/,
    );
  });

  test("fails when the dashboard access level is unknown, suggesting the closest", () => {
    assert.match(
      rejected({ dashboard: { access: "readonly" } }),
      /kuar:addons\.dashboard\.access: expected one of "read-only", "admin", got "readonly"\. Did you mean "read-only"\?/,
    );
  });

  test("fails when external-dns is enabled without a provider", () => {
    assert.match(
      rejected({ externalDns: { enabled: true } }),
      /kuar:addons\.externalDns\.provider: is required when externalDns\.enabled is true, got nothing/,
    );
  });

  test("fails when external-dns names a credentials Secret without its keys, or keys without the Secret", () => {
    assert.match(
      rejected({ externalDns: { enabled: true, provider: "cloudflare", credentialsSecret: "cf" } }),
      /kuar:addons\.externalDns\.credentialsKeys: must name at least one key of the Secret "cf".*pulumi config set --path 'kuar:addons\.externalDns\.credentialsKeys\[0\]' CF_API_TOKEN/,
    );
    assert.match(
      rejected({ externalDns: { enabled: true, provider: "cloudflare", credentialsKeys: ["CF_API_TOKEN"] } }),
      /kuar:addons\.externalDns\.credentialsSecret: is required when externalDns\.credentialsKeys is set/,
    );
    assert.match(
      rejected({ externalDns: { credentialsSecret: "cf", credentialsKeys: ["CF-TOKEN"] } }),
      /kuar:addons\.externalDns\.credentialsKeys\[0\]: expected an environment variable name/,
    );
  });

  test("fails when an add-on key is misspelt, suggesting the right one", () => {
    assert.match(
      rejected({ certmanager: {} }),
      /kuar:addons\.certmanager: is not a setting kuar knows, got \{\}\. Did you mean "certManager"\?/,
    );
  });

  test("fails with every problem at once", () => {
    const message = rejected({ domain: "Bad Domain", dns: { clusterIP: "x" }, metallb: { addresses: ["nope"] } });
    assert.match(message, /kuar found 3 problems/);
  });
});
