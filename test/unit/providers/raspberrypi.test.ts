import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { SECRET_KEY, SECRET_SIG, useMocks, secretOf, valueOf } from "../../../kit/mocks.js";

const SERVER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const mocks = await useMocks({
  outputs: (r) =>
    r.inputs["kind"] === "kuar:RaspberryPiNode"
      ? { kubeconfig: r.inputs["role"] === "server" ? K3S_YAML : "", installedVersion: r.inputs["k3sVersion"] }
      : undefined,
});
const { parseObject } = await import("../../../config/load.js");
const { ConfigError } = await import("../../../config/errors.js");
// The target's pure modules, under one name.
const plan = {
  ...(await import("../../../providers/raspberrypi/inventory.js")),
  ...(await import("../../../providers/raspberrypi/steps.js")),
  ...(await import("../../../providers/raspberrypi/k3s.js")),
  ...(await import("../../../providers/raspberrypi/probe.js")),
  ...(await import("../../../providers/raspberrypi/diff.js")),
  ...(await import("../../../providers/raspberrypi/kubeconfig.js")),
  ...(await import("../../../providers/raspberrypi/script.js")),
};
const { brief } = await import("../../../providers/raspberrypi/ssh.js");
const { fingerprint } = await import("../../../providers/raspberrypi/hostkey.js");
const { settings, parseHostKey, nodeNameOf } = await import("../../../providers/raspberrypi/schema.js");
const { target } = await import("../../../providers/raspberrypi/index.js");
const { k3sVersion } = await import("../../../config/versions.js");

const K3S_YAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
users:
- name: default
  user:
    client-key-data: S0VZ
`;

const host = (i: number, extra: Record<string, unknown> = {}) => ({
  address: `192.168.1.${20 + i}`,
  privateKeyPath: "~/.ssh/id_ed25519",
  hostKey: SERVER_KEY,
  ...extra,
});

/** MetalLB needs a pool on this target (a capability check the config load runs). */
const addons = { metallb: { addresses: ["192.168.1.240-192.168.1.250"] } };

function problems(raspberrypi: unknown): string {
  try {
    parseObject({ target: "raspberrypi", raspberrypi });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail("expected a ConfigError");
}

// --- schema ---------------------------------------------------------------------------------

test("a minimal inventory parses with documented defaults", () => {
  const c = parseObject({
    target: "raspberrypi",
    addons,
    raspberrypi: { hosts: [host(1, { role: "server" }), host(2)] },
  });
  const s = c.settings as ReturnType<typeof settings.parse>;
  assert.equal(s.k3sVersion, k3sVersion);
  assert.equal(s.allowTofu, false);
  assert.deepEqual(s.tlsSans, []);
  assert.deepEqual(
    { ...s.hosts[1]!, hostKey: undefined },
    {
      address: "192.168.1.22",
      port: 22,
      user: "pi",
      privateKeyPath: "~/.ssh/id_ed25519",
      agent: false,
      hostKey: undefined,
      role: "agent",
      labels: {},
      arch: "arm64",
    },
  );
});

test("fails when a host key is empty, naming the host and ssh-keyscan", () => {
  const msg = problems({ hosts: [host(1, { role: "server" }), host(2), host(3, { hostKey: "" })] });
  assert.match(
    msg,
    /kuar:raspberrypi\.hosts\[2\]\.hostKey: expected an "ssh-ed25519 AAAA\.\.\." line, got "". Run ssh-keyscan -t ed25519 192\.168\.1\.23 on a trusted network and paste the ed25519 line\./,
  );
});

test("fails when a host key is missing or of another type, unless allowTofu", () => {
  const msg = problems({
    hosts: [
      host(1, { role: "server", hostKey: undefined }),
      host(2, { hostKey: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC" }),
    ],
  });
  assert.match(msg, /hosts\[0\]\.hostKey: expected an "ssh-ed25519 AAAA\.\.\." line, got ""/);
  assert.match(msg, /hosts\[1\]\.hostKey: expected an "ssh-ed25519 AAAA\.\.\." line, got "ssh-rsa/);
  assert.doesNotThrow(() =>
    parseObject({
      target: "raspberrypi",
      addons,
      raspberrypi: { allowTofu: true, hosts: [host(1, { role: "server", hostKey: undefined })] },
    }),
  );
});

test("fails when there is no server, or an even number of servers, reporting every problem at once", () => {
  assert.match(
    problems({ hosts: [host(1), host(2)] }),
    /kuar:raspberrypi\.hosts: has no host with role server, and a cluster needs one, got \[\{"address":"192\.168\.1\.21".*\. Set role: "server" on the first host/,
  );
  const msg = problems({ hosts: [host(1, { role: "server" }), host(2, { role: "server" }), host(3, { hostKey: "" })] });
  assert.match(msg, /2 problems/);
  assert.match(
    msg,
    /hosts: has 2 servers; embedded etcd needs a majority, so use 1 server, or an odd number from 3 for high availability, got \[.*\. Make one server an agent, or add a third server\./,
  );
  assert.match(msg, /hosts\[2\]\.hostKey/);
  assert.match(problems({ hosts: [1, 2, 3, 4].map((i) => host(i, { role: "server" })) }), /hosts: has 4 servers/);
});

test("fails when a host has no way, or two ways, to authenticate", () => {
  const msg = problems({ hosts: [host(1, { role: "server", privateKeyPath: undefined }), host(2, { agent: true })] });
  assert.match(
    msg,
    /hosts\[0\]\.privateKeyPath: expected exactly one way to authenticate: privateKeyPath or agent: true/,
  );
  assert.match(msg, /hosts\[1\]\.agent: expected exactly one way to authenticate/);
});

test("fails when two hosts share an address or a node name", () => {
  const msg = problems({ hosts: [host(1, { role: "server", nodeName: "pi" }), host(1), host(3, { nodeName: "pi" })] });
  assert.match(msg, /hosts\[1\]\.address: is already used by hosts\[0\], got "192\.168\.1\.21"/);
  assert.match(
    msg,
    /hosts\[2\]\.nodeName: is the same node name as hosts\[0\] \("pi"\); k3s rejects duplicate node names/,
  );
});

test("fails when the k3s version, address, role or a key is malformed", () => {
  const msg = problems({ k3sVersion: "1.34", hosts: [host(1, { role: "master", address: "pi 1", prot: 22 })] });
  assert.match(msg, /kuar:raspberrypi\.k3sVersion: expected a k3s release such as "v1\.34\.1\+k3s1", got "1\.34"/);
  assert.match(msg, /hosts\[0\]\.role: expected one of "server", "agent", got "master"/);
  assert.match(msg, /hosts\[0\]\.address: expected an IPv4 address or a host name/);
  assert.match(msg, /hosts\[0\]\.prot: is not a setting kuar knows, got 22\. Did you mean "port"\?/);
});

test("fails when hosts is empty", () => {
  assert.match(problems({ hosts: [] }), /kuar:raspberrypi\.hosts: must list at least one host, got \[\]/);
});

test("host keys: ssh-keyscan lines are accepted and normalized; bad blobs are not", () => {
  assert.ok(parseHostKey(SERVER_KEY));
  assert.equal(plan.normalizeHostKey(`192.168.1.21 ${SERVER_KEY}`), SERVER_KEY);
  assert.equal(plan.normalizeHostKey(`${SERVER_KEY} root@pi`), SERVER_KEY);
  assert.equal(parseHostKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"), undefined);
  assert.equal(parseHostKey("ssh-ed25519 AAAA"), undefined);
  assert.equal(nodeNameOf({ address: "192.168.1.21" }), "pi-192-168-1-21");
  assert.equal(nodeNameOf({ address: "Pi1.lan" }), "pi1");
});

// --- plan -----------------------------------------------------------------------------------

const STOCK =
  "console=serial0,115200 console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 fsck.repair=yes rootwait quiet splash\n";

test("mergeCmdline appends only missing cgroup flags and leaves a merged line untouched", () => {
  const once = plan.mergeCmdline(STOCK);
  assert.equal(once.changed, true);
  assert.equal(once.content, `${STOCK.trim()} cgroup_memory=1 cgroup_enable=memory\n`);
  assert.deepEqual(plan.mergeCmdline(once.content), { content: once.content, changed: false });
  const partial = plan.mergeCmdline("root=/dev/mmcblk0p2 cgroup_enable=memory  rootwait");
  assert.equal(partial.content, "root=/dev/mmcblk0p2 cgroup_enable=memory  rootwait cgroup_memory=1\n");
});

test("fixEtcHosts rewrites or adds the 127.0.1.1 line only when needed", () => {
  const stock = "127.0.0.1\tlocalhost\n::1\t\tlocalhost\n\n127.0.1.1\t\traspberrypi\n";
  const fixed = plan.fixEtcHosts(stock, "pi-1");
  assert.equal(fixed.content, "127.0.0.1\tlocalhost\n::1\t\tlocalhost\n\n127.0.1.1\tpi-1\n");
  assert.equal(plan.fixEtcHosts(fixed.content, "pi-1").changed, false);
  assert.equal(plan.fixEtcHosts("127.0.0.1 localhost", "pi-2").content, "127.0.0.1 localhost\n127.0.1.1\tpi-2\n");
});

function inventory(roles: ("server" | "agent")[], extra: Record<string, unknown> = {}) {
  return settings.parse({ ...extra, hosts: roles.map((role, i) => host(i + 1, { role, nodeName: `pi-${i + 1}` })) });
}

test("nodeSpecs: servers first in inventory order, cluster-init only for HA, joiners and agents point at the first server", () => {
  const single = plan.nodeSpecs(inventory(["agent", "server", "agent"]));
  assert.deepEqual(
    single.map((n) => [n.nodeName, n.role, n.clusterInit, n.serverUrl ?? null]),
    [
      ["pi-2", "server", false, null],
      ["pi-1", "agent", false, "https://192.168.1.22:6443"],
      ["pi-3", "agent", false, "https://192.168.1.22:6443"],
    ],
  );
  assert.deepEqual(
    single[1]!.peers.map((p) => p.nodeName),
    ["pi-2"],
  );
  assert.deepEqual(single[0]!.disable, ["servicelb", "traefik"], "servers drop servicelb (MetalLB) and traefik");
  assert.deepEqual(single[1]!.disable, [], "agents have nothing to disable");
  const ha = plan.nodeSpecs(inventory(["server", "server", "server", "agent"], { tlsSans: ["k3s.lan"] }));
  assert.deepEqual(
    ha.map((n) => n.clusterInit),
    [true, false, false, false],
  );
  assert.deepEqual(ha[0]!.tlsSans, ["192.168.1.21", "192.168.1.22", "192.168.1.23", "k3s.lan"]);
  assert.deepEqual(ha[3]!.tlsSans, []);
});

test("renderK3sConfig: the token stays in its own file; labels sorted (snapshot)", () => {
  const [first, second] = plan.nodeSpecs(inventory(["server", "server", "server"], { tlsSans: ["k3s.lan"] }));
  const withLabels = { ...second!, labels: { zone: "shelf", "kuar.dev/disk": "ssd" } };
  assert.equal(
    plan.renderK3sConfig(first!),
    `# Managed by kuar (providers/raspberrypi); changes here are overwritten.
node-name: pi-1
token-file: /etc/rancher/k3s/token
write-kubeconfig-mode: "0600"
cluster-init: true
tls-san:
  - 192.168.1.21
  - 192.168.1.22
  - 192.168.1.23
  - k3s.lan
disable:
  - servicelb
  - traefik
`,
  );
  assert.match(
    plan.renderK3sConfig(withLabels),
    /server: https:\/\/192\.168\.1\.21:6443\n[\s\S]*node-label:\n {2}- kuar\.dev\/disk=ssd\n {2}- zone=shelf\n$/,
  );
});

const fresh: import("../../../providers/raspberrypi/probe.js").HostFacts = {
  hostname: "raspberrypi",
  etcHostname: "raspberrypi",
  hosts: "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n",
  cmdlinePath: "/boot/firmware/cmdline.txt",
  cmdline: STOCK,
  ipForward: "0",
  memoryCgroup: false,
  machine: "aarch64",
  bootId: "b1",
  rebootPending: false,
  serverInstalled: false,
  agentInstalled: false,
};

/** `sh -n`: the generated script parses. */
function parses(script: string): void {
  execFileSync("sh", ["-n"], { input: script });
}

test("planPrep: a fresh Pi gets hosts before hostname, the cmdline flags and one scheduled reboot, in one script; a prepared one gets nothing", () => {
  const [spec] = plan.nodeSpecs(inventory(["server"]));
  const h = plan.hostSpecOf(spec!);
  const p = plan.planPrep(fresh, h);
  assert.deepEqual(
    p.actions.map((s) => s.step),
    ["hosts", "hostname", "cmdline", "sysctl", "sysctl", "reboot"],
  );
  assert.equal(p.reboot, true);
  parses(p.script);
  assert.ok(
    p.files.some((f) => "content" in f.source && f.source.content.endsWith("cgroup_memory=1 cgroup_enable=memory\n")),
  );
  // The stock line is backed up once: never over an earlier backup.
  assert.match(p.script, /\[ -e '\/boot\/firmware\/cmdline\.txt'\.kuar-bak \] \|\| cp -p /);
  // Content travels in the payload, checked by size and hash before it replaces anything.
  for (const f of p.files) assert.ok(p.script.includes(`rx '${f.tmp}' ${f.size} ${f.sha256}`));
  assert.ok(!p.script.includes("raspberrypi\n127"), "no file content in the script");
  const done = {
    ...fresh,
    hostname: "pi-1",
    etcHostname: "pi-1",
    hosts: "127.0.0.1\tlocalhost\n127.0.1.1\tpi-1\n",
    cmdline: plan.mergeCmdline(STOCK).content,
    ipForward: "1",
    sysctlConf: plan.SYSCTL_CONTENT,
    memoryCgroup: true,
  };
  assert.deepEqual(plan.planPrep(done, h), { actions: [], script: "", files: [], reboot: false });
  // Flags written but never booted with (an interrupted run): reboot without rewriting.
  const pending = plan.planPrep({ ...done, memoryCgroup: false }, h);
  assert.deepEqual([pending.actions.map((a) => a.step), pending.reboot], [["reboot"], true]);
  // A reboot already scheduled in this boot is waited for, not scheduled again.
  const scheduled = plan.planPrep({ ...done, memoryCgroup: false, rebootPending: true }, h);
  assert.deepEqual([scheduled.script, scheduled.reboot], ["", true]);
});

test("planPrep quotes the node name: shell syntax stays one literal word", () => {
  const [spec] = plan.nodeSpecs(inventory(["server"]));
  const p = plan.planPrep(fresh, { ...plan.hostSpecOf(spec!), nodeName: "pi-9$(touch${IFS}/etc/x)" });
  assert.match(p.script, /hostnamectl set-hostname 'pi-9\$\(touch\$\{IFS\}\/etc\/x\)' /);
  assert.doesNotMatch(p.script.replace(/'[^']*'/g, "''"), /\$\(touch/);
});

test("k3sScript: the token travels in the payload (mode 600), never in the script; check mode changes nothing", () => {
  const [, spec] = plan.nodeSpecs(inventory(["server", "agent"]));
  const n = { ...spec!, token: "s3cret-token" };
  const { script, files } = plan.k3sScript(n, { readyTimeoutMs: 1000, readyPollMs: 200 });
  parses(script);
  assert.ok(!script.includes("s3cret-token"));
  assert.ok(files.some((f) => "content" in f.source && f.source.content === "s3cret-token"));
  assert.match(script, /place '\/etc\/rancher\/k3s\/\.token\.kuar-tmp' \/etc\/rancher\/k3s\/token 600/);
  assert.match(
    script,
    /env INSTALL_K3S_VERSION='v\S+' INSTALL_K3S_EXEC=agent K3S_URL='https:\/\/192\.168\.1\.21:6443' K3S_TOKEN_FILE=\/etc\/rancher\/k3s\/token sh /,
  );
  assert.match(script, /INSTALL_K3S_FORCE_RESTART=true/, "a token or config change alone restarts k3s");
  const check = plan.k3sScript(n, { check: true, readyTimeoutMs: 1000, readyPollMs: 200 });
  parses(check.script);
  assert.deepEqual(check.files, []);
  assert.doesNotMatch(
    check.script.slice(plan.prelude({ lock: true }).length),
    /\bplace |\bcopyin |\brx |sh \/usr\/local\/share\/kuar\/k3s-install\.sh/,
  );
  // The binary is replaced beside its target, checked, then renamed.
  const bundle = {
    binary: { size: 3, sha256: "b".repeat(64), source: { localFile: "/b/k3s" } },
    installScript: { size: 3, sha256: "c".repeat(64), source: { localFile: "/b/install.sh" } },
  };
  const air = plan.k3sScript(n, { bundle, readyTimeoutMs: 1000, readyPollMs: 200 }).script;
  assert.match(air, new RegExp(`copyin /usr/local/share/kuar/k3s /usr/local/bin/k3s 755 ${"b".repeat(64)}`));
  assert.match(
    plan.prelude({ lock: false }),
    /cp "\$1" "\$t" \|\| fail "copying \$1 to \$t failed \(disk full\?\); \$2 is unchanged"/,
  );
});

test("k3sScript rotates the token once: old token from the payload through K3S_TOKEN, never in the script", () => {
  const [first] = plan.nodeSpecs(inventory(["server"]));
  const n = { ...first!, token: "new-secret" };
  const { script, files } = plan.k3sScript(n, { rotateFrom: "old-secret", readyTimeoutMs: 1000, readyPollMs: 200 });
  parses(script);
  assert.ok(!script.includes("old-secret") && !script.includes("new-secret"));
  assert.ok(files.some((f) => "content" in f.source && f.source.content === "old-secret"));
  assert.match(script, /K3S_TOKEN="\$\(cat \/etc\/rancher\/k3s\/\.token-old\.kuar-tmp\)" k3s token rotate --new-token/);
  // A marker named by the new token's hash: a re-sent script does not rotate a second time.
  assert.match(script, new RegExp(`\\[ ! -e /var/lib/kuar/rotated-${plan.sha256("new-secret").slice(0, 16)} \\]`));
});

test("probe output round-trips through parseProbe", () => {
  const script = plan.probeScript({ hashBinary: false });
  assert.doesNotMatch(script, /sha256sum < \/usr\/local\/bin\/k3s/);
  parses(script);
  const f = plan.parseProbe(
    `k3sVersion=${Buffer.from("k3s version v1.34.1+k3s1 (abc)").toString("base64")}\nrebootPending=${Buffer.from("yes").toString("base64")}\n`,
  );
  assert.equal(f.k3sVersion, "v1.34.1+k3s1");
  assert.equal(f.rebootPending, true);
});

test("diffInputs: equal inputs are no change; role and nodeName replace a node; outputs are ignored", () => {
  const [spec] = plan.nodeSpecs(inventory(["server"]));
  const n = { ...spec!, token: "t" };
  assert.equal(
    plan.diffInputs({ ...n, kubeconfig: "x", installedVersion: "v", machine: "aarch64" }, { ...n }).changes,
    false,
  );
  // Where step lines go is no change to the host (state written before it existed has none).
  assert.equal(plan.diffInputs({ ...n }, { ...n, progressUrn: "urn:pulumi:s::p::t::n" }).changes, false);
  assert.deepEqual(plan.diffInputs(n, { ...n, k3sVersion: "v1.35.0+k3s1" }), {
    changes: true,
    replaces: [],
    changed: ["k3sVersion"],
    deleteBeforeReplace: true,
  });
  assert.deepEqual(plan.diffInputs(n, { ...n, role: "agent" }).replaces, ["role"]);
  assert.equal(plan.diffInputs(n, { ...n, labels: { ...n.labels } }).changes, false);
});

test("inputProblems: provider inputs are validated again, naming the field, the value and the fix", () => {
  const [spec] = plan.nodeSpecs(inventory(["server"]));
  assert.deepEqual(plan.inputProblems("node", { ...spec!, token: "t" }), []);
  const bad = plan.inputProblems("node", { ...spec!, token: "t", nodeName: "pi-9$(reboot)", k3sVersion: "latest" });
  assert.deepEqual(
    bad.map((b) => b.property),
    ["nodeName", "k3sVersion"],
  );
  assert.match(bad[0]!.reason, /^nodeName: expected a lowercase DNS label.*, got "pi-9\$\(reboot\)"\./);
  assert.match(bad[0]!.reason, /pulumi config set --path 'kuar:raspberrypi\.hosts\[<index>\]\.nodeName'/);
});

test("fingerprint is ssh's SHA256 form; retry lines keep only the first line of an error", () => {
  const blob = Buffer.from(SERVER_KEY.split(" ")[1]!, "base64");
  assert.match(fingerprint(blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(brief(new Error(`first\nsecond`)), "first");
  assert.equal(brief("x".repeat(300)).length, 120);
});

test("rewriteKubeconfig points at the first server and names everything after the cluster", () => {
  const out = plan.rewriteKubeconfig(K3S_YAML, "192.168.1.21", "kuar-homelab");
  assert.match(out, /server: https:\/\/192\.168\.1\.21:6443/);
  assert.match(out, /current-context: kuar-homelab/);
  assert.doesNotMatch(out, /default/);
  assert.match(out, /client-key-data: S0VZ/);
});

test("rewriteKubeconfig uses apiServerEndpoint when one is configured", () => {
  const out = plan.rewriteKubeconfig(K3S_YAML, "192.168.1.21", "kuar-homelab", "https://k8s.home.arpa:6443/");
  assert.match(out, /server: https:\/\/k8s\.home\.arpa:6443\n/);
  assert.deepEqual(plan.endpointHost("https://10.0.0.5:6443"), ["10.0.0.5"]);
  assert.deepEqual(plan.endpointHost(undefined), []);
});

test("fails when apiServerEndpoint is not an https URL", () => {
  const msg = problems({ hosts: [host(1, { role: "server" })], apiServerEndpoint: "k8s.home.arpa:6443" });
  assert.match(
    msg,
    /kuar:raspberrypi\.apiServerEndpoint: expected an https URL such as "https:\/\/k8s\.home\.arpa:6443", got "k8s\.home\.arpa:6443"\. Give the scheme/,
  );
});

// --- component under mocks --------------------------------------------------------------------

test("the target builds one node per host, a secret kubeconfig, a stable provider and Pi capabilities", async () => {
  const s = settings.parse({
    clusterName: "homelab",
    hosts: [host(1, { role: "server" }), host(2), host(3, { arch: "arm64" })],
  });
  const cluster = target.create("kuar", s, { stack: "homelab", ephemeral: false, secrets: {} });
  await mocks.settle();
  const nodes = mocks.resources.filter((r) => r.inputs["kind"] === "kuar:RaspberryPiNode");
  assert.deepEqual(
    nodes.map((r) => r.name),
    ["kuar-pi-192-168-1-21", "kuar-pi-192-168-1-22", "kuar-pi-192-168-1-23"],
  );
  assert.match(nodes[0]!.inputs["__provider"], /providers\/raspberrypi\/node\.provider\.ts/);
  // One preparation resource per host, depending on nothing, so all hosts are prepared in parallel.
  const hosts = mocks.resources.filter((r) => r.inputs["kind"] === "kuar:RaspberryPiHost");
  assert.deepEqual(
    hosts.map((r) => r.name),
    ["kuar-pi-192-168-1-21-host", "kuar-pi-192-168-1-22-host", "kuar-pi-192-168-1-23-host"],
  );
  assert.match(hosts[0]!.inputs["__provider"], /providers\/raspberrypi\/host\.provider\.ts/);
  // Step lines go to each resource's own row: its URN, as the engine will name it, is an input.
  assert.equal(
    hosts[0]!.inputs["progressUrn"],
    "urn:pulumi:test::kuar::kuar:providers:RaspberryPiCluster$pulumi-nodejs:dynamic/kuar:RaspberryPiHost::kuar-pi-192-168-1-21-host",
  );
  assert.equal(
    nodes[1]!.inputs["progressUrn"],
    "urn:pulumi:test::kuar::kuar:providers:RaspberryPiCluster$pulumi-nodejs:dynamic/kuar:RaspberryPiNode::kuar-pi-192-168-1-22",
  );
  assert.equal(hosts[0]!.inputs["token"], undefined, "the host step never sees the token");
  // The token reaches every node as a secret (the mock records the secret envelope).
  for (const n of nodes)
    assert.deepEqual(n.inputs["token"], { [SECRET_KEY]: SECRET_SIG, value: "generated-kuar-k3s-token" });
  assert.equal(nodes[0]!.inputs["host"]["hostKey"], SERVER_KEY);
  const { value, secret } = await secretOf(cluster.kubeconfig);
  assert.equal(secret, true);
  assert.match(value, /server: https:\/\/192\.168\.1\.21:6443/);
  assert.match(value, /current-context: homelab/);
  const provider = mocks.one("pulumi:providers:kubernetes", "kuar-k8s");
  assert.equal(provider.inputs["clusterIdentifier"], "kuar-raspberrypi-homelab");
  assert.equal(await valueOf(cluster.name), "homelab");
  assert.deepEqual(cluster.capabilities, {
    loadBalancer: "metallb",
    defaultStorageClass: "local-path",
    arch: "arm64",
    dns: true,
    metricsServer: true,
    online: true,
    runsContainers: true,
    nodes: 3,
  });
  assert.ok(mocks.one("kuar:providers:RaspberryPiCluster", "kuar"));
});

test("a supplied k3s token is used (no generated one) and mixed architectures say so", async () => {
  const pulumi = await import("@pulumi/pulumi");
  const before = mocks.resources.length;
  const s = settings.parse({ hosts: [host(1, { role: "server", arch: "amd64" }), host(2)] });
  const cluster = target.create("lab", s, {
    stack: "dev",
    ephemeral: false,
    secrets: { k3sToken: pulumi.output("K10supplied") },
  });
  await mocks.settle();
  const added = mocks.resources.slice(before);
  assert.equal(added.filter((r) => r.inputs["kind"] === "kuar:RandomSecret").length, 0);
  assert.deepEqual(added.find((r) => r.inputs["kind"] === "kuar:RaspberryPiNode")!.inputs["token"], {
    [SECRET_KEY]: SECRET_SIG,
    value: "K10supplied",
  });
  assert.equal(cluster.capabilities.arch, "mixed");
  assert.equal(
    mocks.one("pulumi:providers:kubernetes", "lab-k8s").inputs["clusterIdentifier"],
    "kuar-raspberrypi-kuar-dev",
  );
});

test("the example stack stacks/Pulumi.homelab.yaml validates: three Pis, one server", async () => {
  const { stackFileConfig } = await import("../../../config/stack-file.js");
  const { parseConfig } = await import("../../../config/load.js");
  const c = parseConfig(stackFileConfig("stacks/Pulumi.homelab.yaml").raw);
  const s = c.settings as ReturnType<typeof settings.parse>;
  assert.equal(c.target, "raspberrypi");
  assert.deepEqual(
    s.hosts.map((h) => h.role),
    ["server", "agent", "agent"],
  );
  assert.ok(s.hosts.every((h) => parseHostKey(h.hostKey!)));
});
