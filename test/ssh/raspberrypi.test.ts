/**
 * The Raspberry Pi flow against real OpenSSH servers on this machine (see harness.ts): real sshd,
 * real sudo, real files and hostnames per host. Only the k3s binary and its install script are
 * stand-ins (test/ssh/fixtures/k3s-bundle/, delivered through the air-gap bundle path a user
 * without internet on the Pis would use), plus the power cycle behind a reboot.
 *
 * The provider module's functions are driven the way the engine drives them (engine.ts); the
 * Pulumi engine itself runs this module in the e2e tier.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { nodeSpecs, type NodeSpec } from "../../providers/raspberrypi/plan.js";
import { applyNode, provider, readNode, type NodeOutputs } from "../../providers/raspberrypi/provider.js";
import { settings } from "../../providers/raspberrypi/schema.js";
import { counters, resetCounters, setLogger, tuning } from "../../providers/raspberrypi/ssh.js";
import { destroy, up, type State } from "./engine.js";
import { Harness, STOCK_CMDLINE, skipReason, type TestHost } from "./harness.js";

const BUNDLE = fileURLToPath(new URL("./fixtures/k3s-bundle", import.meta.url));
const TOKEN = "K10test-token-0123456789abcdefghijklmnopqrstuvwxyz";
const reason = skipReason();
if (reason) console.log(`# ssh tier SKIPPED: ${reason}`);

Object.assign(tuning, {
  connectTimeoutMs: 3_000,
  keepaliveMs: 1_000,
  retryDelayMs: 200,
  rebootPollMs: 250,
  readyPollMs: 200,
  rebootTimeoutMs: 20_000,
});
const lines: string[] = [];
setLogger((l) => lines.push(l));

type Role = "server" | "agent";
function inventory(h: Harness, roles: Role[], extra: Record<string, unknown> = {}): NodeSpec[] {
  const s = settings.parse({
    airgapBundleDir: BUNDLE,
    ...extra,
    hosts: roles.map((role, i) => ({
      address: h.hosts[i]!.address,
      privateKeyPath: h.clientKey,
      hostKey: h.hosts[i]!.hostKey,
      role,
      arch: "amd64",
      nodeName: `pi-${i + 1}`,
      labels: { "kuar.dev/rack": "shelf" },
    })),
  });
  return nodeSpecs(s, s.airgapBundleDir);
}

const roundTrips = (h: TestHost) => counters.get(`${h.address}:22`)?.roundTrips ?? 0;
const mutations = (h: TestHost) => counters.get(`${h.address}:22`)?.mutations ?? 0;
/** Stand-in calls that change something (installs, starts, drains, uninstalls). */
const changing = (h: TestHost) => h.standinLog().filter((l) => !/^k3s (--version|kubectl get)/.test(l));
const logIndex = (re: RegExp) => lines.findIndex((l) => re.test(l));
const mode = (h: TestHost, path: string) => (statSync(join(h.root, "etc", path.slice(5))).mode & 0o777).toString(8);

function assertInstalled(h: TestHost, name: string, role: Role): void {
  assert.equal(h.hostname(), name, `${h.name} hostname`);
  assert.equal(h.file("/etc/hostname"), `${name}\n`);
  assert.match(h.file("/etc/hosts")!, new RegExp(`^127\\.0\\.1\\.1\\t${name}$`, "m"));
  assert.equal(h.file("/boot/firmware/cmdline.txt"), `${STOCK_CMDLINE.trim()} cgroup_memory=1 cgroup_enable=memory\n`);
  assert.equal(h.file("/etc/rancher/k3s/token"), TOKEN);
  assert.equal(mode(h, "/etc/rancher/k3s/token"), "600");
  assert.equal(mode(h, "/etc/rancher/k3s/config.yaml"), "600");
  assert.match(
    h.file("/etc/rancher/k3s/config.yaml")!,
    new RegExp(`node-name: ${name}\\ntoken-file: /etc/rancher/k3s/token`),
  );
  assert.ok(
    h.file(role === "server" ? "/usr/local/bin/k3s-uninstall.sh" : "/usr/local/bin/k3s-agent-uninstall.sh"),
    `${h.name} has its uninstall script`,
  );
  assert.equal(h.file("/etc/sysctl.d/90-kuar-k3s.conf")?.includes("net.ipv4.ip_forward = 1"), true);
}

describe("raspberrypi over ssh: 1 server + 2 agents", { skip: reason }, () => {
  let h: Harness;
  let specs: NodeSpec[];
  const state: State = new Map();
  before(async () => {
    h = await Harness.start(3);
    specs = inventory(h, ["server", "agent", "agent"]);
  });
  after(() => h?.stop());

  test("a fresh install prepares every host, reboots each once, and joins the agents after the server", async () => {
    resetCounters();
    const started = Date.now();
    const res = await up(state, specs, TOKEN);
    assert.equal(res.created[0], "pi-1");
    assert.deepEqual([...res.created].sort(), ["pi-1", "pi-2", "pi-3"]);
    assertInstalled(h.hosts[0]!, "pi-1", "server");
    assertInstalled(h.hosts[1]!, "pi-2", "agent");
    assertInstalled(h.hosts[2]!, "pi-3", "agent");
    for (const host of h.hosts) assert.equal(host.reboots, 1, `${host.name} rebooted once for the cgroup flags`);
    assert.ok(logIndex(/pi-1 \S+ install:/) < logIndex(/pi-2 \S+ install:/), "server installs before the agents");
    assert.match(
      h.hosts[1]!.standinLog().join("\n"),
      /install\.sh EXEC=agent K3S_URL=https:\/\/10\.213\.\S+:6443 SKIP_DOWNLOAD=true/,
    );
    assert.match(
      h.hosts[1]!.file("/etc/rancher/k3s/config.yaml")!,
      /server: https:\/\/10\.213\.\S+:6443\nnode-label:\n {2}- kuar.dev\/rack=shelf/,
    );
    assert.match(state.get("pi-1")!.kubeconfig, /client-key-data/);
    assert.equal(state.get("pi-2")!.kubeconfig, "");
    const all = lines.join("\n");
    assert.ok(!all.includes(TOKEN), "the token never appears in a log line");
    for (const host of h.hosts) {
      assert.ok(!host.standinLog().join("\n").includes(TOKEN), "nor on an install command line");
      console.log(`# fresh ${host.name}: ${roundTrips(host)} round trips, ${mutations(host)} changing`);
    }
    console.log(`# fresh install of 3 hosts: ${Date.now() - started} ms`);
  });

  test("a second up with no change only diffs: zero round trips, zero commands on the hosts", async () => {
    resetCounters();
    const before = h.hosts.map((x) => x.standinLog().length);
    const res = await up(state, specs, TOKEN);
    assert.deepEqual(res.unchanged.sort(), ["pi-1", "pi-2", "pi-3"]);
    for (const [i, host] of h.hosts.entries()) {
      assert.equal(roundTrips(host), 0);
      assert.equal(host.standinLog().length, before[i]);
    }
  });

  test("re-applying a converged host runs one read-only probe and changes nothing", async () => {
    resetCounters();
    const before = h.hosts.map((x) => changing(x).length);
    for (const spec of specs) await applyNode({ ...spec, token: TOKEN });
    for (const [i, host] of h.hosts.entries()) {
      assert.equal(mutations(host), 0, `${host.name} mutating commands`);
      assert.equal(roundTrips(host), 1, `${host.name} round trips`);
      assert.equal(changing(host).length, before[i], `${host.name} stand-in saw no install, start or uninstall`);
      assert.equal(host.reboots, 1);
      console.log(`# no-op re-apply ${host.name}: ${roundTrips(host)} round trip, 0 changing`);
    }
  });

  test("removing an agent drains it through the server and uninstalls it", async () => {
    const res = await up(state, specs.slice(0, 2), TOKEN);
    assert.deepEqual(res.deleted, ["pi-3"]);
    const server = h.hosts[0]!.standinLog().join("\n");
    assert.match(server, /k3s kubectl drain pi-3 --ignore-daemonsets/);
    assert.match(server, /k3s kubectl delete node pi-3/);
    const gone = h.hosts[2]!;
    assert.ok(gone.standinLog().includes("k3s-agent-uninstall.sh"));
    assert.equal(gone.file("/usr/local/bin/k3s"), undefined);
    assert.equal(gone.file("/etc/rancher/k3s/token"), undefined);
    assert.ok(h.hosts[1]!.file("/usr/local/bin/k3s-agent-uninstall.sh"), "the other agent is untouched");
  });

  test("destroy uninstalls the agent, then the server", async () => {
    const deleted = await destroy(state);
    assert.deepEqual(deleted, ["pi-2", "pi-1"]);
    assert.ok(h.hosts[1]!.standinLog().includes("k3s-agent-uninstall.sh"));
    assert.ok(h.hosts[0]!.standinLog().includes("k3s-uninstall.sh"));
    for (const host of h.hosts) assert.equal(host.file("/etc/rancher/k3s/config.yaml"), undefined);
    assert.equal(state.size, 0);
  });
});

describe("raspberrypi over ssh: HA", { skip: reason }, () => {
  let h: Harness;
  let bundle2: string;
  after(() => {
    h?.stop();
    if (bundle2) rmSync(bundle2, { recursive: true, force: true });
  });

  test("three servers join one at a time, the first with cluster-init; a new version upgrades them in order", async () => {
    h = await Harness.start(3);
    const state: State = new Map();
    lines.length = 0;
    await up(state, inventory(h, ["server", "server", "server"]), TOKEN);
    const [a, b, c] = h.hosts as [TestHost, TestHost, TestHost];
    assert.match(a.file("/etc/rancher/k3s/config.yaml")!, /cluster-init: true/);
    assert.doesNotMatch(a.file("/etc/rancher/k3s/config.yaml")!, /^server:/m);
    for (const x of [b, c])
      assert.match(
        x.file("/etc/rancher/k3s/config.yaml")!,
        new RegExp(`server: https://${a.address.replace(/\./g, "\\.")}:6443`),
      );
    for (const x of [a, b, c])
      assert.match(
        x.file("/etc/rancher/k3s/config.yaml")!,
        new RegExp(`tls-san:\\n  - ${a.address}\\n  - ${b.address}\\n  - ${c.address}`),
      );
    // Each server is done (Ready) before the next one is touched.
    const last = (n: string) => lines.findLastIndex((l) => l.startsWith(`kuar raspberrypi ${n} `));
    assert.ok(last("pi-1") < logIndex(/^kuar raspberrypi pi-2 /) && last("pi-2") < logIndex(/^kuar raspberrypi pi-3 /));
    assert.match(a.standinLog().join("\n"), /kubectl get node pi-1/);

    bundle2 = mkdtempSync("/tmp/kuar-bundle-");
    cpSync(BUNDLE, bundle2, { recursive: true });
    const bin = join(bundle2, "k3s");
    writeFileSync(bin, readFileSync(bin, "utf8").replace('VERSION="v1.34.1+k3s1"', 'VERSION="v1.34.2+k3s1"'), {
      mode: 0o755,
    });
    lines.length = 0;
    const res = await up(
      state,
      inventory(h, ["server", "server", "server"], { k3sVersion: "v1.34.2+k3s1", airgapBundleDir: bundle2 }),
      TOKEN,
    );
    assert.deepEqual(res.updated, ["pi-1", "pi-2", "pi-3"]);
    const starts = ["pi-1", "pi-2", "pi-3"].map((n) =>
      logIndex(new RegExp(`${n} \\S+ install: k3s v1\\.34\\.1\\+k3s1 -> v1\\.34\\.2\\+k3s1`)),
    );
    assert.ok(
      starts.every((x, i) => x >= 0 && (i === 0 || x > starts[i - 1]!)),
      `upgrades in order: ${starts}`,
    );
    for (const x of [a, b, c]) {
      assert.equal(x.reboots, 1, "an upgrade does not reboot");
      assert.equal(state.get(`pi-${h.hosts.indexOf(x) + 1}`)!.installedVersion, "v1.34.2+k3s1");
    }
  });
});

describe("raspberrypi over ssh: refresh", { skip: reason }, () => {
  let h: Harness;
  after(() => h?.stop());

  test("refresh reports drift: a removed install reads as gone, another k3s release is reported and undone by up", async () => {
    h = await Harness.start(2);
    const specs = inventory(h, ["server", "agent"]);
    const state: State = new Map();
    await up(state, specs, TOKEN);
    const [server, agent] = h.hosts;

    // No drift: read returns what state holds, so the next diff is empty.
    const same = await readNode("pi-1", state.get("pi-1")!);
    assert.equal(same.id, "pi-1");
    assert.equal((await provider.diff!("pi-1", same.props, { ...specs[0]!, token: TOKEN })).changes, false);
    assert.deepEqual(changing(server!).filter((l) => /install|uninstall/.test(l)).length, 1, "read changed nothing");

    // Someone removed k3s from the agent by hand.
    rmSync(join(agent!.root, "usr-local/bin/k3s-agent-uninstall.sh"));
    assert.deepEqual(await readNode("pi-2", state.get("pi-2")!), { id: "", props: {} });

    // Someone swapped the server's k3s for another release.
    const bin = join(server!.root, "usr-local/bin/k3s");
    writeFileSync(bin, readFileSync(bin, "utf8").replace(/^VERSION=.*$/m, 'VERSION="v1.33.9+k3s1"'));
    const drifted = await readNode("pi-1", state.get("pi-1")!);
    assert.equal(drifted.props.k3sVersion, "v1.33.9+k3s1");
    state.set("pi-1", drifted.props as NodeOutputs);
    state.delete("pi-2"); // what refresh does with a resource read as gone
    const res = await up(state, specs, TOKEN);
    assert.deepEqual(res.updated, ["pi-1"]);
    assert.deepEqual(res.created, ["pi-2"]);
    assert.equal(state.get("pi-1")!.installedVersion, specs[0]!.k3sVersion);
    assert.match(agent!.file("/usr/local/bin/k3s-agent-uninstall.sh") ?? "", /uninstall/);
  });
});

describe("raspberrypi over ssh: failures", { skip: reason }, () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start(3);
  });
  after(() => h?.stop());

  test("a host key mismatch is refused before login, naming the host and the fix", async () => {
    resetCounters();
    const specs = inventory(h, ["server", "agent", "agent"]);
    const wrong = { ...specs[1]!, host: { ...specs[1]!.host, hostKey: h.hosts[0]!.hostKey } };
    await assert.rejects(applyNode({ ...wrong, token: TOKEN }), (e: Error) => {
      assert.match(
        e.message,
        /^pi-2 \(pi@10\.213\.\S+:22\) presented host key "ssh-ed25519 AAAA\S+", but the pinned hostKey is "ssh-ed25519 AAAA/,
      );
      assert.match(e.message, /run ssh-keyscan -t ed25519 10\.213\.\S+ on a trusted network/);
      return true;
    });
    assert.equal(roundTrips(h.hosts[1]!), 0, "no command ran on the host");
    assert.equal(h.hosts[1]!.file("/etc/hostname"), "raspberrypi\n");
  });

  test("a killed session is retried; a host that stays unreachable fails by name; a re-run converges", async () => {
    const specs = inventory(h, ["server", "agent", "agent"]);
    const [, b, c] = h.hosts as [TestHost, TestHost, TestHost];
    let killed = 0;
    setLogger((l) => {
      lines.push(l);
      if (/^kuar raspberrypi pi-2 \S+ install:/.test(l) && killed === 0) killed = b.killSessions();
      if (
        /^kuar raspberrypi pi-3 \S+ install-script:/.test(l) &&
        c.pids().length > 0 &&
        !lines.some((x) => x === "cut pi-3")
      ) {
        lines.push("cut pi-3");
        c.killSessions();
        setTimeout(() => c.linkDown(), 100);
      }
    });
    const state: State = new Map();
    try {
      await assert.rejects(up(state, specs, TOKEN), (e: Error) => {
        assert.match(e.message, /^pi-3 \(pi@10\.213\.\S+:22\)/);
        assert.match(e.message, /Check that the Pi is powered on and on the network/);
        return true;
      });
    } finally {
      setLogger((l) => lines.push(l));
    }
    assert.ok(killed > 0, "the pi-2 session was killed mid-install");
    assert.ok(
      lines.some((l) => /pi-2 \S+ install: connection lost/.test(l)),
      "and retried on a fresh connection",
    );
    assert.deepEqual([...state.keys()].sort(), ["pi-1", "pi-2"], "hosts already done are recorded");
    assertInstalled(h.hosts[0]!, "pi-1", "server");
    assertInstalled(b, "pi-2", "agent");

    c.linkUp();
    resetCounters();
    const res = await up(state, specs, TOKEN);
    assert.deepEqual(res.created, ["pi-3"]);
    assert.deepEqual(res.unchanged.sort(), ["pi-1", "pi-2"]);
    assert.equal(roundTrips(h.hosts[0]!) + roundTrips(b), 0, "the finished hosts are not touched again");
    assertInstalled(c, "pi-3", "agent");
    assert.equal(c.reboots, 1, "the interrupted host was not rebooted twice");
  });
});
