/**
 * The Raspberry Pi target through the real engine: `pulumi up`, a no-op `up` and `destroy` of a
 * raspberrypi stack whose hosts are the ssh tier's real OpenSSH servers (network namespaces).
 * Stand-ins, as in the ssh tier: the k3s binary and install script (from the air-gap bundle) and
 * reboots. The stand-in k3s hands out the local control plane's kubeconfig, so bootstrap and the
 * kuard workload land on a real API server through the Pi target.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { toolchain } from "../../config/versions.js";
import { Kwok } from "../../providers/local/kwok.js";
import { root, toolchainBinDir } from "../../cli/engine.js";
import { Harness, skipReason, USER } from "../../kit/ssh/harness.js";
import { cannotRun, createStack, seconds, type E2eStack } from "../../kit/e2e/harness.js";

const reason = cannotRun() ?? skipReason();
if (reason) console.log(`# e2e raspberrypi test not run: ${reason}`);

describe("raspberrypi target through the real engine", { skip: reason }, () => {
  let hosts: Harness;
  let kwok: Kwok;
  let s: E2eStack;
  const timings: Record<string, number> = {};

  before(async () => {
    kwok = new Kwok({ name: `kuar-e2e-pi-${process.pid}`, kubeVersion: toolchain.kubernetes, bin: toolchainBinDir() });
    await kwok.ensure(3);
    const kubeconfig = await kwok.kubeconfig();
    const endpoint = /server: (https:\/\/127\.0\.0\.1:\d+)/.exec(kubeconfig)![1]!;
    hosts = await Harness.start(3);
    const server = hosts.hosts[0]!;
    mkdirSync(join(server.root, "etc", "k3s-standin"), { recursive: true });
    writeFileSync(join(server.root, "etc", "k3s-standin", "kubeconfig.yaml"), kubeconfig, { mode: 0o600 });
    s = createStack(
      {
        target: "raspberrypi",
        raspberrypi: {
          clusterName: "kuar-e2e-pi",
          hosts: hosts.hosts.map((h, i) => ({
            address: h.address,
            user: USER,
            privateKeyPath: hosts.clientKey,
            hostKey: h.hostKey,
            role: i === 0 ? "server" : "agent",
            arch: "amd64", // the test hosts are this machine
          })),
          airgapBundleDir: join(root, "kit", "ssh", "fixtures", "k3s-bundle"),
          apiServerEndpoint: endpoint,
        },
        // Chart-based add-ons need the internet (and the real Kubernetes provider's Helm support).
        addons: {
          dashboard: { enabled: false },
          gateway: { enabled: false },
          certManager: { enabled: false },
          metallb: { enabled: false },
        },
        workloads: { kuard: { enabled: true } },
      },
      "e2e-pi",
    );
  });

  after(async () => {
    if (s) {
      await s.pulumiAsync(["destroy", "--yes", "--non-interactive"]);
      s.remove();
    }
    hosts?.stop();
    await kwok?.delete();
    console.log(`# e2e raspberrypi timings (s): ${JSON.stringify(timings)}`);
  });

  test("up installs k3s on the hosts and deploys to the cluster they hand out", async () => {
    const t = Date.now();
    const r = await s.pulumiAsync(["up", "--yes", "--non-interactive"]);
    timings["up"] = seconds(t);
    assert.equal(r.status, 0, r.stdout.slice(-4000));
    const [server, ...agents] = hosts.hosts;
    assert.ok(
      server!.standinLog().some((l) => /^k3s server/.test(l)),
      server!.standinLog().join("\n"),
    );
    for (const a of agents)
      assert.ok(
        a.standinLog().some((l) => /^k3s agent/.test(l)),
        a.standinLog().join("\n"),
      );
    const token = server!.file("/etc/rancher/k3s/token") ?? "";
    assert.ok(token.length >= 32, "the cluster token was delivered");
    assert.equal(r.stdout.includes(token.trim()), false, "the token never appears in the engine's output");
    const exported = s.pulumi(["stack", "export"]).stdout;
    assert.equal(exported.includes(token.trim()), false, "the token is not in plain text in state");
    await kwok.kubectl(["-n", "apps", "rollout", "status", "deployment/kuar-kuard", "--timeout=120s"]);
    await kwok.kubectl(["-n", "apps", "wait", "--for=condition=complete", "job/kuar-kuard-keygen", "--timeout=120s"]);
  });

  test("a second up changes nothing, on the engine and on the hosts", async () => {
    const before = hosts.hosts.map((h) => h.standinLog().length);
    const t = Date.now();
    const r = await s.pulumiAsync(["up", "--yes", "--non-interactive", "--expect-no-changes"]);
    timings["noopUp"] = seconds(t);
    assert.equal(r.status, 0, r.stdout.slice(-4000));
    assert.deepEqual(
      hosts.hosts.map((h) => h.standinLog().length),
      before,
      "no k3s call on any host",
    );
  });

  test("refresh reads every host and object and finds no drift", async () => {
    const t = Date.now();
    const r = await s.pulumiAsync(["refresh", "--yes", "--non-interactive", "--expect-no-changes"]);
    timings["refresh"] = seconds(t);
    assert.equal(r.status, 0, r.stdout.slice(-4000));
  });

  test("destroy removes the objects and uninstalls k3s from every host", async () => {
    const t = Date.now();
    const r = await s.pulumiAsync(["destroy", "--yes", "--non-interactive"]);
    timings["destroy"] = seconds(t);
    assert.equal(r.status, 0, r.stdout.slice(-4000));
    const [server, ...agents] = hosts.hosts;
    assert.ok(server!.standinLog().includes("k3s-uninstall.sh"), server!.standinLog().join("\n"));
    for (const a of agents) assert.ok(a.standinLog().includes("k3s-agent-uninstall.sh"));
    assert.equal((await kwok.kubectl(["get", "namespace", "apps", "--ignore-not-found", "-o", "name"])).trim(), "");
  });
});
