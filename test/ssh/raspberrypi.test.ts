/**
 * The Raspberry Pi target against real OpenSSH servers (kit/ssh/harness.ts): real sshd, real
 * sudo, real file changes per host. Stand-ins, because they cannot exist here: the k3s binary and
 * its install script (kit/ssh/fixtures/k3s-bundle/, delivered through the air-gap bundle path a user
 * without internet on the Pis would use), plus the power cycle behind a reboot.
 *
 * The provider modules' functions are driven the way the engine drives them (engine.ts); the
 * Pulumi engine itself runs these modules in the e2e tier.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { applyHost, hostProvider } from "../../providers/raspberrypi/host.provider.js";
import { hostSpecOf, nodeSpecs, type NodeSpec } from "../../providers/raspberrypi/inventory.js";
import { applyNode, readNode, removeNode, type NodeOutputs } from "../../providers/raspberrypi/node.provider.js";
import { settings } from "../../providers/raspberrypi/schema.js";
import { sha256 } from "../../providers/raspberrypi/script.js";
import { defaultTuning, SudoError, type CounterSet, type SessionOptions } from "../../providers/raspberrypi/ssh.js";
import { SessionPool } from "../../providers/raspberrypi/pool.js";
import { Engine, type State } from "../../kit/ssh/engine.js";
import { Harness, STOCK_CMDLINE, skipReason, type TestHost } from "../../kit/ssh/harness.js";

const BUNDLE = fileURLToPath(new URL("../../kit/ssh/fixtures/k3s-bundle", import.meta.url));
const TOKEN = "K10test-token-0123456789abcdefghijklmnopqrstuvwxyz";
const reason = skipReason();
if (reason) console.log(`# ssh tier SKIPPED: ${reason}`);

const lines: string[] = [];
const pool = new SessionPool({ idleMs: 5_000 });
after(() => pool.closeAll());
const counters: CounterSet = new Map();
const opts: SessionOptions = {
  tuning: {
    ...defaultTuning,
    connectTimeoutMs: 3_000,
    keepaliveMs: 1_000,
    retryDelayMs: 200,
    rebootDelayMs: 1_000,
    rebootPollMs: 250,
    readyPollMs: 200,
    rebootTimeoutMs: 20_000,
  },
  logger: (l) => lines.push(l),
  counters,
  pool,
};
const engine = new Engine(opts);
const up = (state: State, specs: NodeSpec[], token = TOKEN) => engine.up(state, specs, token);

type Role = "server" | "agent";
/** Hosts 0..n-1 (or the listed ones) with these roles; host i is always pi-<i+1>. */
function inventory(h: Harness, roles: Role[], extra: Record<string, unknown> = {}, only?: number[]): NodeSpec[] {
  const which = only ?? roles.map((_, i) => i);
  const s = settings.parse({
    airgapBundleDir: BUNDLE,
    ...extra,
    hosts: which.map((i, k) => ({
      address: h.hosts[i]!.address,
      privateKeyPath: h.clientKey,
      hostKey: h.hosts[i]!.hostKey,
      role: roles[k],
      arch: "amd64",
      nodeName: `pi-${i + 1}`,
      labels: { "kuar.dev/rack": "shelf" },
    })),
  });
  return nodeSpecs(s, s.airgapBundleDir);
}

const commands = (h: TestHost) => counters.get(`${h.address}:22`)?.commands ?? 0;
const mutations = (h: TestHost) => counters.get(`${h.address}:22`)?.mutations ?? 0;
/** Stand-in calls that change something (installs, starts, drains, uninstalls). */
const changing = (h: TestHost) => h.standinLog().filter((l) => !/^k3s (--version|kubectl get)/.test(l));
const installs = (h: TestHost) => h.standinLog().filter((l) => l.startsWith("install.sh ")).length;
const logIndex = (re: RegExp) => lines.findIndex((l) => re.test(l));
const mode = (h: TestHost, path: string) => (statSync(join(h.root, "etc", path.slice(5))).mode & 0o777).toString(8);
const FLAGGED = `${STOCK_CMDLINE.trim()} cgroup_memory=1 cgroup_enable=memory\n`;

function assertInstalled(h: TestHost, name: string, role: Role): void {
  assert.equal(h.hostname(), name, `${h.name} hostname`);
  assert.equal(h.file("/etc/hostname"), `${name}\n`);
  assert.match(h.file("/etc/hosts")!, new RegExp(`^127\\.0\\.1\\.1\\t${name}$`, "m"));
  assert.equal(h.file("/boot/firmware/cmdline.txt"), FLAGGED);
  assert.equal(h.file("/boot/firmware/cmdline.txt.kuar-bak"), STOCK_CMDLINE, "the backup holds the stock line");
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

  test("a fresh install prepares every host in parallel, reboots each once, then joins the agents after the server, in at most 5 commands per host", async () => {
    counters.clear();
    lines.length = 0;
    const started = Date.now();
    const res = await up(state, specs);
    assert.equal(res.created[0], "pi-1");
    assert.deepEqual([...res.created].sort(), ["pi-1", "pi-2", "pi-3"]);
    assertInstalled(h.hosts[0]!, "pi-1", "server");
    assertInstalled(h.hosts[1]!, "pi-2", "agent");
    assertInstalled(h.hosts[2]!, "pi-3", "agent");
    for (const host of h.hosts) assert.equal(host.reboots, 1, `${host.name} rebooted once for the cgroup flags`);
    assert.ok(logIndex(/pi-1 \S+ install:/) < logIndex(/pi-2 \S+ install:/), "server installs before the agents");
    assert.ok(
      logIndex(/pi-3 \S+ \[prep /) < logIndex(/pi-1 \S+ install:/),
      "the agents' preparation does not wait for the server's install",
    );
    // Step lines: per host, every step it went through, in order, with the elapsed time.
    for (const [i, role] of ["server", "agent", "agent"].entries()) {
      const steps = lines
        .map((l) => new RegExp(`^kuar raspberrypi pi-${i + 1} \\S+ \\[([a-z ]+) (\\d+\\.\\d) s\\]`).exec(l))
        .filter((m) => m !== null)
        .map((m) => m[1]);
      const k3s = role === "server" ? ["install", "ready", "ready"] : ["join", "ready"];
      assert.deepEqual(steps, ["probe", "prep", "reboot wait", "prepared", ...k3s], `pi-${i + 1} step lines`);
    }
    assert.match(
      lines.find((l) => / pi-2 \S+ \[join /.test(l))!,
      /\[join \d+\.\d s\] agent joining https:\/\/10\.213\./,
    );
    assert.match(
      h.hosts[1]!.standinLog().join("\n"),
      /install\.sh EXEC=agent K3S_URL=https:\/\/10\.213\.\S+:6443 SKIP_DOWNLOAD=true/,
    );
    assert.match(
      h.hosts[1]!.file("/etc/rancher/k3s/config.yaml")!,
      /server: https:\/\/10\.213\.\S+:6443\nnode-label:\n {2}- kuar.dev\/rack=shelf/,
    );
    assert.match(h.hosts[0]!.file("/etc/rancher/k3s/config.yaml")!, /disable:\n {2}- servicelb\n {2}- traefik\n/);
    assert.doesNotMatch(h.hosts[1]!.file("/etc/rancher/k3s/config.yaml")!, /disable:/);
    assert.match(state.get("pi-1")!.kubeconfig, /client-key-data/);
    assert.equal(state.get("pi-2")!.kubeconfig, "");
    const all = lines.join("\n");
    assert.ok(!all.includes(TOKEN), "the token never appears in a log line");
    for (const host of h.hosts) {
      assert.ok(!host.standinLog().join("\n").includes(TOKEN), "nor on an install command line");
      assert.ok(commands(host) <= 5, `${host.name}: ${commands(host)} commands for a fresh host`);
      assert.equal(installs(host), 1);
      console.log(`# fresh ${host.name}: ${commands(host)} commands`);
    }
    console.log(`# fresh install of 3 hosts: ${Date.now() - started} ms`);
  });

  test("a second up with no change only diffs: zero commands on the hosts", async () => {
    counters.clear();
    const before = h.hosts.map((x) => x.standinLog().length);
    const res = await up(state, specs);
    assert.deepEqual(res.unchanged.sort(), ["pi-1", "pi-2", "pi-3"]);
    for (const [i, host] of h.hosts.entries()) {
      assert.equal(commands(host), 0);
      assert.equal(host.standinLog().length, before[i]);
    }
  });

  test("re-applying a converged host costs one command (the host step's probe, which the node step decides from) and changes nothing", async () => {
    const before = h.hosts.map((x) => changing(x).length);
    for (const spec of specs) {
      counters.clear();
      await applyHost(hostSpecOf(spec), opts);
      const host = h.hosts[specs.indexOf(spec)]!;
      assert.equal(commands(host), 1, `${host.name} host step: one probe`);
      const out = await applyNode({ ...spec, token: TOKEN }, opts);
      assert.equal(commands(host), 1, `${host.name} node step: nothing sent after the host step's probe`);
      assert.ok(
        counters.get(`${host.address}:22`)!.connects <= 1,
        `${host.name}: at most one connection for both steps`,
      );
      assert.equal(mutations(host), 0, `${host.name} changes`);
      assert.equal(out.installedVersion, spec.k3sVersion);
      if (spec.role === "server") assert.match(out.kubeconfig, /client-key-data/);
    }
    // A node that is not converged (its config.yaml edited by hand) is not taken for converged:
    // the node step sends its script, which puts config.yaml back and restarts k3s.
    const agent = h.hosts[1]!;
    writeFileSync(join(agent.root, "etc/rancher/k3s/config.yaml"), "# edited by hand\n");
    counters.clear();
    await applyHost(hostSpecOf(specs[1]!), opts);
    await applyNode({ ...specs[1]!, token: TOKEN }, opts);
    assert.equal(commands(agent), 2, "probe, then the node script");
    assert.match(agent.file("/etc/rancher/k3s/config.yaml")!, /^# Managed by kuar/);
    assert.match(changing(agent).at(-2) ?? "", /install\.sh .*FORCE_RESTART=true/);
    before[1]! += 2; // that restart: install.sh and the stand-in agent start
    for (const [i, host] of h.hosts.entries()) {
      assert.equal(changing(host).length, before[i], `${host.name} stand-in saw no install, start or uninstall`);
      assert.equal(host.reboots, 1);
    }
  });

  test("removing an agent drains it through the server and uninstalls it", async () => {
    const res = await up(state, specs.slice(0, 2));
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
    const deleted = await engine.destroy(state);
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
    await up(state, inventory(h, ["server", "server", "server"]));
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
    // Each server is done (Ready) before the next one's k3s step starts.
    const last = (n: string) =>
      lines.findLastIndex((l) => new RegExp(`^kuar raspberrypi ${n} \\S+ (k3s|install|done):`).test(l));
    const firstK3s = (n: string) => logIndex(new RegExp(`^kuar raspberrypi ${n} \\S+ k3s:`));
    assert.ok(last("pi-1") < firstK3s("pi-2") && last("pi-2") < firstK3s("pi-3"));
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

describe("raspberrypi over ssh: token rotation and removing the first server", { skip: reason }, () => {
  let h: Harness;
  after(() => h?.stop());

  test("a new token is rotated on the first server, then every node restarts with it; removing the first server re-points the rest and drains it through another", async () => {
    h = await Harness.start(3);
    const state: State = new Map();
    const ha = inventory(h, ["server", "server", "server"]);
    await up(state, ha);
    const NEW = "K10rotated-token-9876543210zyxwvutsrqponmlkjihgfedcba";
    lines.length = 0;
    const res = await up(state, ha, NEW);
    assert.deepEqual(res.updated, ["pi-1", "pi-2", "pi-3"]);
    const [a, b, c] = h.hosts as [TestHost, TestHost, TestHost];
    const rotations = (x: TestHost) => x.standinLog().filter((l) => l.startsWith("k3s token rotate"));
    assert.deepEqual(rotations(a), ["k3s token rotate (K3S_TOKEN matches the current token; a new token given)"]);
    assert.deepEqual([rotations(b), rotations(c)], [[], []], "only the first server rotates");
    for (const x of [a, b, c]) {
      assert.equal(x.file("/etc/rancher/k3s/token"), NEW);
      assert.equal(mode(x, "/etc/rancher/k3s/token"), "600");
      const last = x
        .standinLog()
        .filter((l) => l.startsWith("install.sh "))
        .at(-1);
      assert.match(last ?? "", /FORCE_RESTART=true$/, `${x.name} restarted`);
      assert.ok(!x.standinLog().join("\n").includes(NEW), "the token is in no stand-in log");
    }
    assert.ok(!lines.join("\n").includes(NEW) && !lines.join("\n").includes(TOKEN), "nor in kuar's log");
    assert.ok(logIndex(/pi-1 \S+ token: the cluster token changed/) < logIndex(/pi-2 \S+ k3s:/));
    assert.equal((await up(state, ha, NEW)).unchanged.length, 3, "a second up with the new token changes nothing");

    // The first server (cluster-init) goes: pi-2 becomes the only server.
    const rest = inventory(h, ["server"], {}, [1]);
    const removed = await up(state, rest, NEW);
    assert.deepEqual(removed.updated, ["pi-2"]);
    assert.deepEqual(removed.deleted, ["pi-3", "pi-1"]);
    const cfg = b.file("/etc/rancher/k3s/config.yaml")!;
    assert.doesNotMatch(cfg, /^server:/m, "pi-2 no longer points at the removed server");
    assert.match(b.standinLog().join("\n"), /k3s kubectl delete node pi-1 --ignore-not-found/);
    assert.ok(a.standinLog().includes("k3s-uninstall.sh"));
    assert.equal(a.file("/etc/rancher/k3s/token"), undefined);
    assert.equal((await up(state, rest, NEW)).unchanged.length, 1);
  });
});

describe("raspberrypi over ssh: refresh", { skip: reason }, () => {
  let h: Harness;
  after(() => h?.stop());

  test("refresh reports drift: a removed install reads as gone, another k3s release is reported and undone by up", async () => {
    h = await Harness.start(2);
    const specs = inventory(h, ["server", "agent"]);
    const state: State = new Map();
    await up(state, specs);
    const [server, agent] = h.hosts;

    // No drift: read returns what state holds, so the next diff is empty.
    const same = await readNode("pi-1", state.get("pi-1")!, opts);
    assert.equal(same.id, "pi-1");
    assert.equal((await engine.node.diff!("pi-1", same.props, { ...specs[0]!, token: TOKEN })).changes, false);
    assert.equal(installs(server!), 1, "read changed nothing");

    // Someone removed k3s from the agent by hand.
    rmSync(join(agent!.root, "usr-local/bin/k3s-agent-uninstall.sh"));
    assert.deepEqual(await readNode("pi-2", state.get("pi-2")!, opts), { id: "", props: {} });

    // Someone swapped the server's k3s for another release.
    const bin = join(server!.root, "usr-local/bin/k3s");
    writeFileSync(bin, readFileSync(bin, "utf8").replace(/^VERSION=.*$/m, 'VERSION="v1.33.9+k3s1"'));
    const drifted = await readNode("pi-1", state.get("pi-1")!, opts);
    assert.equal(drifted.props.k3sVersion, "v1.33.9+k3s1");
    state.set("pi-1", drifted.props as NodeOutputs);
    state.delete("pi-2"); // what refresh does with a resource read as gone
    const res = await up(state, specs);
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

  test("a host key mismatch is refused before login, naming the host, both SHA256 fingerprints as ssh prints them, and the fix", async () => {
    counters.clear();
    const specs = inventory(h, ["server", "agent", "agent"]);
    const wrong = { ...specs[1]!, host: { ...specs[1]!.host, hostKey: h.hosts[0]!.hostKey } };
    const fp = (host: TestHost) =>
      execFileSync("ssh-keygen", ["-lf", join(host.root, "etc/ssh/kuar_host_ed25519_key.pub")], {
        encoding: "utf8",
      }).split(" ")[1]!;
    await assert.rejects(applyHost(hostSpecOf(wrong), opts), (e: Error) => {
      assert.match(e.message, /^pi-2 \(pi@10\.213\.\S+:22\) presented host key SHA256:\S+ \("ssh-ed25519 AAAA\S+"\)/);
      assert.ok(e.message.includes(`presented host key ${fp(h.hosts[1]!)} `), "the presented key's fingerprint");
      assert.ok(e.message.includes(`pinned hostKey is ${fp(h.hosts[0]!)} `), "the pinned key's fingerprint");
      assert.match(e.message, /run ssh-keyscan -t ed25519 10\.213\.\S+ on a trusted network/);
      return true;
    });
    assert.equal(commands(h.hosts[1]!), 0, "no command ran on the host");
    assert.equal(h.hosts[1]!.file("/etc/hostname"), "raspberrypi\n");
  });

  test("a host that drops off mid-run and stays away fails after the attempts it says, with short retry lines", async () => {
    const spec = inventory(h, ["server", "agent", "agent"])[2]!;
    const host = h.hosts[2]!;
    // Prepared, then /etc/hostname edited by hand: the next run has one step and no reboot.
    await applyHost(hostSpecOf(spec), opts);
    writeFileSync(join(host.root, "etc/hostname"), "raspberrypi\n");
    lines.length = 0;
    let cut = false;
    const quick: SessionOptions = {
      ...opts,
      tuning: { ...opts.tuning, attempts: 3, connectTimeoutMs: 800, retryDelayMs: 50 },
      logger: (l) => {
        lines.push(l);
        // Connected and probed; the link goes just as the prep script is sent.
        if (!cut && / pi-3 \S+ hostname: pi-3 -> pi-3/.test(l)) {
          cut = true;
          host.linkDown();
        }
      },
    };
    try {
      await assert.rejects(applyHost(hostSpecOf(spec), quick), (e: Error) => {
        assert.match(e.message, /^pi-3 \(pi@10\.213\.\S+:22\) is unreachable after 3 attempts: /);
        assert.match(e.message, /Check that the Pi is powered on and on the network/);
        return true;
      });
    } finally {
      host.linkUp();
    }
    assert.ok(cut);
    const retries = lines.filter((l) => / attempt \d\/3 failed/.test(l));
    assert.deepEqual(
      retries.map((l) => /attempt (\d)\/3/.exec(l)![1]),
      ["1", "2"],
    );
    for (const l of retries) {
      assert.ok(l.length < 220, `short: ${l}`);
      assert.doesNotMatch(l, /Check that the Pi/);
    }
    assert.equal(host.file("/etc/hostname"), "raspberrypi\n", "the prep script never arrived");
  });

  test("a sudo that requires a terminal fails with the sudoers line that fixes it", async () => {
    const [spec] = inventory(h, ["server"]);
    const host = h.hosts[0]!;
    const rule = join(host.root, "etc/sudoers.d/000_requiretty");
    writeFileSync(rule, "Defaults requiretty\n", { mode: 0o440 });
    try {
      await assert.rejects(applyHost(hostSpecOf(spec!), opts), (e: Error) => {
        assert.ok(e instanceof SudoError, `a SudoError: ${e.message}`);
        assert.match(e.message, /requires a terminal \(requiretty in sudoers\)/);
        assert.match(e.message, /"Defaults:pi !requiretty" with sudo visudo -f \/etc\/sudoers\.d\/011_pi-notty/);
        assert.doesNotMatch(e.message, /sorry, you must have a tty/);
        return true;
      });
    } finally {
      rmSync(rule);
    }
  });

  test("a node name with shell syntax is refused by check and, forced past it, is never executed", async () => {
    const evil = "pi-9$(touch${IFS}/etc/x)";
    const [server, agent] = inventory(h, ["server", "agent"]);
    const bad = { ...agent!, nodeName: evil, peers: server!.peers };
    const nodeCheck = await engine.node.check!({} as never, { ...bad, token: TOKEN });
    assert.deepEqual(
      nodeCheck.failures?.map((f) => f.property),
      ["nodeName"],
    );
    assert.match(nodeCheck.failures![0]!.reason, /nodeName: expected a lowercase DNS label/);
    const hostCheck = await hostProvider(opts).check!({} as never, hostSpecOf(bad));
    assert.deepEqual(
      hostCheck.failures?.map((f) => f.property),
      ["nodeName"],
    );
    await assert.rejects(engine.node.create({ ...bad, token: TOKEN }), /nodeName: expected a lowercase DNS label/);

    // Forced: the step functions themselves, as edited state or code would reach them.
    const target = h.hosts[1]!;
    await applyHost(hostSpecOf(server!), opts);
    await applyNode({ ...server!, token: TOKEN }, opts);
    // The hostname step gets the name as one quoted word, and hostname(1) refuses it as a name.
    await assert.rejects(
      applyHost(hostSpecOf(bad), opts),
      /prep: exited with 1: hostname: the specified hostname is invalid/,
    );
    await applyNode({ ...bad, token: TOKEN }, opts);
    assert.match(target.file("/etc/rancher/k3s/config.yaml")!, /node-name: pi-9\$\(touch\$\{IFS\}\/etc\/x\)\n/);
    await removeNode({ ...bad, token: TOKEN }, opts);
    for (const x of [h.hosts[0]!, target]) {
      assert.equal(
        x.inside("[ -e /etc/x ] && echo yes || echo no").trim(),
        "no",
        `${x.name}: /etc/x was never created`,
      );
    }
    assert.ok(
      h.hosts[0]!.standinLog().includes(`k3s kubectl delete node ${evil} --ignore-not-found`),
      "and the drain/delete on the server as one literal argument",
    );
    await removeNode({ ...server!, token: TOKEN }, opts);
  });
});

describe("raspberrypi over ssh: dropped connections and full disks", { skip: reason }, () => {
  let h: Harness;
  let bundle2: string;
  before(async () => {
    h = await Harness.start(3);
  });
  after(() => {
    h?.stop();
    if (bundle2) rmSync(bundle2, { recursive: true, force: true });
  });

  /** Cuts the host's link for `ms` once `when` matches a log line; returns when it is back. */
  function cutWhen(host: TestHost, when: RegExp, ms: number, after = 0): { done: Promise<void>; cut: () => boolean } {
    let cut = false;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const logger = opts.logger;
    const o: SessionOptions = {
      ...opts,
      logger: (l) => {
        logger(l);
        if (!cut && when.test(l)) {
          cut = true;
          setTimeout(() => {
            host.linkDown();
            setTimeout(() => {
              host.linkUp();
              resolve();
            }, ms);
          }, after);
        }
      },
    };
    cutOpts = o;
    return { done, cut: () => cut };
  }
  let cutOpts: SessionOptions = opts;

  test("the connection drops at the end of the prep script: re-probed, not re-sent; one reboot, and the backup keeps the stock cmdline", async () => {
    const [spec] = inventory(h, ["server"]);
    const host = h.hosts[0]!;
    // systemd-run (the script's last command) takes 3 s; the link goes at 1.5 s for 5 s, so the
    // script finishes on the host while its exit status cannot arrive.
    host.hook("slow-systemd-run", "3");
    lines.length = 0;
    counters.clear();
    const c = cutWhen(host, /pi-1 \S+ reboot: cmdline\.txt changed/, 5_000, 1_500);
    try {
      await applyHost(hostSpecOf(spec!), cutOpts);
    } finally {
      await c.done;
      host.hook("slow-systemd-run", undefined);
    }
    assert.ok(c.cut());
    assert.ok(
      lines.some((l) => /pi-1 \S+ prep: .*probing the host again before changing anything/.test(l)),
      lines.join("\n"),
    );
    assert.equal(lines.filter((l) => / prep: /.test(l) && !/probing/.test(l)).length, 0);
    assert.equal(host.reboots, 1, "one reboot");
    assert.equal(host.hostname(), "pi-1");
    assert.equal(host.file("/boot/firmware/cmdline.txt"), FLAGGED);
    assert.equal(host.file("/boot/firmware/cmdline.txt.kuar-bak"), STOCK_CMDLINE, "the backup keeps the stock line");
  });

  test("cmdline.txt losing its flags again (a firmware update, an edit) is fixed without overwriting the first backup", async () => {
    const [spec] = inventory(h, ["server"]);
    const host = h.hosts[0]!;
    assert.equal(host.file("/boot/firmware/cmdline.txt.kuar-bak"), STOCK_CMDLINE, "backup from the first change");
    writeFileSync(join(host.root, "boot/firmware/cmdline.txt"), "console=tty1 root=PARTUUID=6c586e13-02 rootwait\n");
    const reboots = host.reboots;
    await applyHost(hostSpecOf(spec!), opts);
    assert.equal(host.reboots, reboots + 1, "the flags changed the file: one reboot");
    assert.equal(
      host.file("/boot/firmware/cmdline.txt"),
      "console=tty1 root=PARTUUID=6c586e13-02 rootwait cgroup_memory=1 cgroup_enable=memory\n",
    );
    assert.equal(
      host.file("/boot/firmware/cmdline.txt.kuar-bak"),
      STOCK_CMDLINE,
      "the stock line is kept, not clobbered",
    );
  });

  test("the connection drops after install.sh finished but before its exit status: install.sh ran once", async () => {
    const [spec] = inventory(h, ["server"]);
    const host = h.hosts[0]!;
    await applyHost(hostSpecOf(spec!), opts);
    host.hook("pause-after-install", "5");
    lines.length = 0;
    // The node script logs before it is sent; install.sh takes under a second, then pauses 5 s.
    const c = cutWhen(host, /pi-1 \S+ k3s: k3s v\S+ server: checking/, 4_000, 1_500);
    try {
      const out = await applyNode({ ...spec!, token: TOKEN }, cutOpts);
      assert.equal(out.installedVersion, spec!.k3sVersion);
    } finally {
      await c.done;
      host.hook("pause-after-install", undefined);
    }
    assert.ok(c.cut());
    assert.ok(
      lines.some((l) => /pi-1 \S+ k3s: .*connection dropped while the command ran/.test(l)),
      lines.join("\n"),
    );
    assert.equal(installs(host), 1, "install.sh ran once");
    assert.equal(host.file("/boot/firmware/cmdline.txt.kuar-bak"), STOCK_CMDLINE);
  });

  test("the connection drops during a long install: the retry waits for it and install.sh runs once", async () => {
    const [, spec] = inventory(h, ["server", "agent"]);
    const host = h.hosts[1]!;
    await applyHost(hostSpecOf(spec!), opts);
    host.hook("slow-install", "6");
    lines.length = 0;
    const c = cutWhen(host, /pi-2 \S+ k3s: k3s v\S+ agent: checking/, 3_000, 1_000);
    try {
      await applyNode({ ...spec!, token: TOKEN }, cutOpts);
    } finally {
      await c.done;
      host.hook("slow-install", undefined);
    }
    assert.ok(c.cut());
    assert.equal(installs(host), 1, "no second install.sh started while the first ran");
    assert.ok(host.file("/usr/local/bin/k3s-agent-uninstall.sh"));
    assert.equal(host.file("/boot/firmware/cmdline.txt.kuar-bak"), STOCK_CMDLINE, "the backup keeps the stock line");
  });

  test("a session killed mid-install (the script dies with it) is checked, then sent again, and converges", async () => {
    const [, , spec] = inventory(h, ["server", "agent", "agent"]);
    const host = h.hosts[2]!;
    await applyHost(hostSpecOf(spec!), opts);
    host.hook("slow-install", "3");
    lines.length = 0;
    let killed = 0;
    const o: SessionOptions = {
      ...opts,
      logger: (l) => {
        lines.push(l);
        if (killed === 0 && /pi-3 \S+ k3s: k3s v\S+ agent: checking/.test(l))
          setTimeout(() => (killed = host.killSessions()), 1_000);
      },
    };
    try {
      await applyNode({ ...spec!, token: TOKEN }, o);
    } finally {
      host.hook("slow-install", undefined);
    }
    assert.ok(killed > 0, "the session was killed while install.sh ran");
    assert.ok(
      lines.some((l) => /pi-3 \S+ check: still to do: .*install/.test(l)),
      lines.join("\n"),
    );
    assert.equal(installs(host), 2, "the killed install.sh is run again, after the check");
    assert.ok(host.file("/usr/local/bin/k3s-agent-uninstall.sh"));
    assert.equal(host.file("/etc/rancher/k3s/token"), TOKEN);
  });

  test("an upgrade on a full disk fails naming it, and the old k3s survives intact with its mode", async () => {
    const host = h.hosts[0]!;
    const binSha = () => host.inside("sha256sum < /usr/local/bin/k3s | cut -d' ' -f1").trim();
    const binMode = () => host.inside("stat -c %a /usr/local/bin/k3s").trim();
    const before = binSha();
    assert.equal(before, sha256(readFileSync(join(BUNDLE, "k3s"))));
    bundle2 = mkdtempSync("/tmp/kuar-bundle-");
    cpSync(BUNDLE, bundle2, { recursive: true });
    const bin = join(bundle2, "k3s");
    // A bigger release: it cannot fit beside the old one.
    writeFileSync(
      bin,
      `${readFileSync(bin, "utf8").replace('VERSION="v1.34.1+k3s1"', 'VERSION="v1.34.2+k3s1"')}\n# ${"x".repeat(200_000)}\n`,
      { mode: 0o755 },
    );
    const next = inventory(h, ["server"], { k3sVersion: "v1.34.2+k3s1", airgapBundleDir: bundle2 })[0]!;
    await applyHost(hostSpecOf(next), opts);
    host.fillDisk("/usr/local/bin", 64);
    await assert.rejects(applyNode({ ...next, token: TOKEN }, opts), (e: Error) => {
      assert.match(e.message, /disk full\?\); \/usr\/local\/bin\/k3s is unchanged/);
      return true;
    });
    assert.equal(binSha(), before, "the old k3s is intact");
    assert.equal(binMode(), "755");
    assert.equal(host.inside("ls -a /usr/local/bin").includes(".k3s.kuar-tmp"), false, "no temporary file left");
  });
});
