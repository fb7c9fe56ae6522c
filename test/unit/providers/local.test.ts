import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ConfigError } from "../../../config/errors.js";
import { images } from "../../../config/versions.js";
import { archivePath, type ImageSpec } from "../../../kit/e2e/images/build.js";
import { parseObject } from "../../../config/load.js";
import {
  DEBIAN_PROGRAMS,
  imageProblems,
  realNodeProblems,
  TOOLCHAIN_PROGRAMS,
  type HostView,
} from "../../../providers/local/host.js";
import { rollBackCreate } from "../../../providers/local/control-plane.provider.js";
import { extraArgs, kwokctlConfig, scaleArgs, storageClassManifest } from "../../../providers/local/kwok.js";
import { chainRemovals, JUMPS, kuarRules, ownedChain, splitRule } from "../../../providers/local/pod-network.js";
import {
  cniConfig,
  containerdConfig,
  imageAliases,
  kubeletArgs,
  kubeletConfig,
  kubeProxyConfig,
  nodeLayout,
  nodeSelectorPatch,
  placementManifests,
} from "../../../providers/local/real-node-config.js";
import { localSettings } from "../../../providers/local/schema.js";

const dir = mkdtempSync(join(tmpdir(), "kuar-local-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const archive = join(dir, "redis.tar");
writeFileSync(archive, "");
mkdirSync(join(dir, "not-a-layout"));

/** A machine with everything real nodes need, as root on Linux, unless overridden. */
function host(over: Partial<HostView> = {}, missing: string[] = []): HostView {
  return {
    platform: "linux",
    uid: 0,
    bin: "/tc/bin",
    cwd: dir,
    // Packages and toolchain are "installed"; image paths are looked up for real in the temp dir.
    exists: (p) => !missing.includes(p) && (p.startsWith("/usr/") || p.startsWith("/tc/") || existsSync(p)),
    isDirectory: (p) => existsSync(p) && statSync(p).isDirectory(),
    ...over,
  };
}

function problems(local: unknown, h: HostView = host()): string {
  const r = localSettings(() => h).safeParse(local);
  assert.equal(r.success, false, "expected the settings to be refused");
  return JSON.stringify(r.error.issues);
}

test("realNodes defaults to 0 and images to {}, and the quick start never looks at the machine", () => {
  let looked = false;
  const s = localSettings(() => {
    looked = true;
    return host({ uid: 1000 });
  }).parse({});
  assert.equal(s.realNodes, 0);
  assert.deepEqual(s.images, {});
  assert.equal(looked, false, "a quick-start config must not need root or any package");
});

test("a root Linux machine with the packages and toolchain takes real nodes and images", () => {
  const s = localSettings(() => host()).parse({ realNodes: 2, images: { "redis:8.6.6-alpine": archive } });
  assert.equal(s.realNodes, 2);
});

test("fails when real nodes are asked for on a machine that is not Linux, saying how to turn them off", () => {
  const p = realNodeProblems(1, host({ platform: "darwin" }));
  assert.equal(p.length, 1);
  assert.match(p[0]!.message, /need Linux; this machine runs darwin/);
  assert.match(p[0]!.fix, /pulumi config set --path 'kuar:local\.realNodes' 0/);
});

test("fails when not root, when Debian packages are missing and when the toolchain lacks node binaries, all at once", () => {
  const p = realNodeProblems(1, host({ uid: 1000 }, ["/usr/bin/containerd", "/usr/lib/cni/bridge", "/tc/bin/kubelet"]));
  assert.equal(p.length, 3, JSON.stringify(p));
  assert.match(p[0]!.message, /need root .* uid 1000/);
  assert.match(p[1]!.message, /\/usr\/bin\/containerd, \/usr\/lib\/cni\/bridge/);
  assert.match(p[1]!.fix, /apt-get install containerd containernetworking-plugins/);
  assert.match(p[2]!.message, /has not built kubelet/);
  assert.match(p[2]!.fix, /npm run toolchain -- --with-real-nodes/);
  assert.ok(DEBIAN_PROGRAMS.length > 0 && TOOLCHAIN_PROGRAMS.includes("kube-proxy"));
});

test("fails when an image archive is missing or a directory is no OCI layout, naming the config path", () => {
  const p = imageProblems({ "redis:8": join(dir, "nope.tar"), "busybox:1": "not-a-layout" }, 1, host());
  assert.equal(p.length, 2, JSON.stringify(p));
  assert.deepEqual(p[0]!.path, ["images", "redis:8"]);
  assert.match(p[0]!.message, /no file or directory at .*nope\.tar/);
  assert.match(p[0]!.fix, /pulumi config set --path 'kuar:local\.images\["redis:8"\]'/);
  assert.match(p[1]!.message, /without index\.json, so not an OCI image layout/);
});

test("fails when an image key is no image reference, or images are given without real nodes", () => {
  assert.match(problems({ realNodes: 1, images: { "Not An Image": archive } }), /is not an image reference/);
  assert.match(
    problems({ images: { "redis:8": archive } }),
    /"path":\["realNodes"\].*is 0, but kuar:local\.images lists 1 image\(s\) to import into real nodes/,
  );
});

test("problems reach the stack config error with the kuar:local path, before anything is registered", () => {
  try {
    parseObject({ target: "local", local: { realNodes: 1, images: { "redis:8": "/nonexistent/redis.tar" } } });
    assert.fail("expected a ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.match(e.message, /kuar:local\.images\["redis:8"\]: no file or directory at \/nonexistent\/redis\.tar/);
  }
});

test("fails when realNodes is negative or above 4", () => {
  assert.match(problems({ realNodes: -1 }), /too_small/);
  assert.match(problems({ realNodes: 5 }), /too_big/);
});

// --- node configuration -----------------------------------------------------------------------

const n1 = nodeLayout("kuar-x", 1);

test("each node gets its own /24, ports, state and socket", () => {
  const n0 = nodeLayout("kuar-x", 0);
  assert.equal(n1.name, "kuar-x-real-1");
  assert.equal(n1.subnet, "10.244.1.0/24");
  assert.equal(n1.gateway, "10.244.1.1");
  assert.notEqual(n0.kubeletPort, n1.kubeletPort);
  assert.notEqual(n0.stateDir, n1.stateDir);
});

test("containerd restricts OOM score changes, uses the toolchain's runc and the node's CNI directory", () => {
  const c = containerdConfig(n1, "/tc/bin/runc", "registry.k8s.io/pause:3.10.1");
  assert.match(c, /restrict_oom_score_adj = true/);
  assert.match(c, /BinaryName = "\/tc\/bin\/runc"/);
  assert.match(c, /SystemdCgroup = false/);
  assert.match(c, /sandbox_image = "registry.k8s.io\/pause:3.10.1"/);
  assert.match(c, /address = "\/run\/kuar\/kuar-x\/kuar-x-real-1\/containerd.sock"/);
  assert.match(c, /conf_dir = "\/var\/lib\/kuar\/kuar-x\/kuar-x-real-1\/cni"/);
});

test("the CNI bridge never masquerades pod traffic off the machine", () => {
  const c = JSON.parse(cniConfig(n1));
  const bridge = c.plugins[0];
  assert.equal(bridge.type, "bridge");
  assert.equal(bridge.bridge, "kuar0");
  assert.equal(bridge.ipMasq, false);
  assert.deepEqual(bridge.ipam.ranges, [[{ subnet: "10.244.1.0/24", gateway: "10.244.1.1" }]]);
  // Without these routes pods reach nothing off their /24: no ClusterIP, no pod of another node.
  assert.deepEqual(bridge.ipam.routes, [{ dst: "10.244.0.0/16" }, { dst: "10.96.0.0/12" }]);
});

test("the kubelet serves on its node IP, the gateway on the pod bridge (never loopback), with the settings this machine needs", () => {
  const k = JSON.parse(kubeletConfig(n1, "/ca.crt", "/etc/resolv.conf"));
  // kubelet rejects a loopback node IP ("nodeIP can't be loopback address") and then reports no address.
  assert.equal(k.address, "10.244.1.1");
  assert.ok(kubeletArgs(n1, "/k.json", "/kc").includes("--node-ip=10.244.1.1"));
  assert.equal(k.healthzBindAddress, "127.0.0.1");
  assert.equal(k.readOnlyPort, 0);
  assert.equal(k.cgroupDriver, "cgroupfs");
  assert.equal(k.failCgroupV1, false);
  assert.equal(k.failSwapOn, false);
  assert.equal(k.cgroupsPerQOS, false);
  assert.deepEqual(k.enforceNodeAllocatable, []);
  assert.deepEqual(k.clusterDNS, ["10.96.0.10"]);
  assert.equal(k.authentication.anonymous.enabled, false);
});

test("kube-proxy masquerades Service traffic and changes no machine-wide sysctl", () => {
  const p = JSON.parse(kubeProxyConfig("/kc", "n0"));
  assert.equal(p.mode, "iptables");
  assert.equal(p.iptables.masqueradeAll, true);
  assert.equal(p.iptables.localhostNodePorts, false);
  assert.equal(p.conntrack.maxPerCore, 0);
  assert.match(p.healthzBindAddress, /^127\.0\.0\.1:/);
  assert.match(p.metricsBindAddress, /^127\.0\.0\.1:/);
});

test("image references match however the API spells them", () => {
  assert.deepEqual(imageAliases("redis:8.6.6-alpine"), ["redis:8.6.6-alpine", "docker.io/library/redis:8.6.6-alpine"]);
  assert.deepEqual(imageAliases("rancher/local-path-provisioner:v0.0.30"), [
    "rancher/local-path-provisioner:v0.0.30",
    "docker.io/rancher/local-path-provisioner:v0.0.30",
  ]);
  assert.deepEqual(imageAliases("registry.k8s.io/pause:3.10.1"), ["registry.k8s.io/pause:3.10.1"]);
  assert.deepEqual(imageAliases("busybox"), ["busybox", "busybox:latest", "docker.io/library/busybox:latest"]);
});

test("the placement policy sends pods with only imported images to real nodes, the rest to kwok nodes", () => {
  const list = JSON.parse(placementManifests(["redis:8.6.6-alpine"]));
  const [policy, binding] = list.items;
  assert.equal(policy.kind, "MutatingAdmissionPolicy");
  assert.equal(policy.apiVersion, "admissionregistration.k8s.io/v1beta1");
  assert.equal(binding.spec.policyName, policy.metadata.name);
  // pod.spec.nodeSelector is an atomic map: the API server rejects an ApplyConfiguration of it.
  assert.equal(policy.spec.mutations[0].patchType, "JSONPatch");
  const expr: string = policy.spec.mutations[0].jsonPatch.expression;
  assert.match(expr, /"docker\.io\/library\/redis:8\.6\.6-alpine"/);
  assert.match(expr, /initContainers/);
  assert.ok(expr.includes(`? ${nodeSelectorPatch("kuar.dev/node", "real")} : ${nodeSelectorPatch("type", "kwok")}`));
  assert.match(policy.spec.matchConditions[0].expression, /nodeName/);
});

test("the nodeSelector patch adds one key to a selector already there, or the whole selector, escaping '/'", () => {
  assert.equal(
    nodeSelectorPatch("kuar.dev/node", "real"),
    '(has(object.spec.nodeSelector) ? [JSONPatch{op: "add", path: "/spec/nodeSelector/kuar.dev~1node", value: "real"}]' +
      ' : [JSONPatch{op: "add", path: "/spec/nodeSelector", value: {"kuar.dev/node": "real"}}])',
  );
});

// --- control plane ------------------------------------------------------------------------------

test("the API server dials kubelets at their InternalIP, which is loopback for simulated nodes", () => {
  // Real nodes' host names resolve nowhere; kwokctl's default simulated InternalIP (192.0.2.1) may be
  // a real address on the machine's network.
  assert.ok(extraArgs("kuar-x").includes("kube-apiserver=kubelet-preferred-address-types=InternalIP"));
  assert.deepEqual(scaleArgs(3), ["scale", "node", "--replicas", "3", "--param", '.nodeIPs=["127.0.0.1"]']);
});

test("kwok manages only the nodes kwokctl made, and the API server serves MutatingAdmissionPolicy", () => {
  const args = extraArgs("kuar-x");
  assert.ok(args.includes("kwok-controller=manage-all-nodes=false"));
  assert.ok(args.includes("kwok-controller=manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake"));
  assert.ok(args.some((a) => /^kube-apiserver=kubelet-client-certificate=.*\/kuar-x\/pki\/admin\.crt$/.test(a)));
  const cfg = kwokctlConfig("/b", "1.34.4");
  assert.match(cfg, /kubeFeatureGates: MutatingAdmissionPolicy=true/);
  assert.match(cfg, /kubeRuntimeConfig: admissionregistration\.k8s\.io\/v1beta1=true/);
  assert.match(cfg, /kubeApiserverCertSANs:\n {2}- 10\.96\.0\.1/);
});

/** kwokctl v0.8.0's grouping of --extra-args (cluster.go mutationComponentPatches), index for index. */
function kwokctlGroups(args: string[]): Map<string, string[]> {
  const groups: { name: string; keys: string[] }[] = [];
  const at = new Map<string, number>();
  args.forEach((a, i) => {
    const [component, key] = a.split("=");
    const n = at.get(component!);
    if (n !== undefined) {
      const g = groups[n];
      if (!g) throw new Error(`kwokctl panics: index out of range [${n}] with length ${groups.length}`);
      g.keys.push(key!);
      return;
    }
    groups.push({ name: component!, keys: [key!] });
    at.set(component!, i); // kwokctl records the flag's own position, not the group's
  });
  return new Map(groups.map((g) => [g.name, g.keys]));
}

test("kwokctl accepts the extra args: each component's first flag comes first, so its grouping cannot panic", () => {
  const groups = kwokctlGroups(extraArgs("kuar-x"));
  assert.deepEqual(groups.get("kube-apiserver"), [
    "kubelet-client-certificate",
    "kubelet-client-key",
    "service-cluster-ip-range",
    "kubelet-preferred-address-types",
  ]);
  assert.deepEqual(groups.get("kube-controller-manager"), ["enable-hostpath-provisioner", "service-cluster-ip-range"]);
  assert.deepEqual(groups.get("kwok-controller"), ["manage-all-nodes", "manage-nodes-with-annotation-selector"]);
  // The order the flags were written in would panic kwokctl, as it did on the real engine.
  assert.throws(
    () =>
      kwokctlGroups([
        "kube-apiserver=a=1",
        "kube-apiserver=b=2",
        "kube-controller-manager=c=3",
        "kube-controller-manager=d=4",
      ]),
    /index out of range/,
  );
});

test("the default StorageClass is hostpath on simulated nodes and local-path with real nodes", () => {
  assert.equal(JSON.parse(storageClassManifest(0)).provisioner, "kubernetes.io/host-path");
  assert.equal(JSON.parse(storageClassManifest(1)).provisioner, "kuar.dev/local-path");
});

// --- pod network ------------------------------------------------------------------------------

test("forwarding on the bridge stays on the bridge; pods reach the API server through a DNAT", () => {
  const rules = kuarRules(38000);
  assert.deepEqual(rules.at(-1), { table: "filter", chain: "KUAR-FORWARD", rule: ["-j", "DROP"] });
  assert.deepEqual(rules[1]!.rule, ["-i", "kuar0", "-o", "kuar0", "-j", "ACCEPT"]);
  assert.ok(rules[0]!.rule.includes("127.0.0.1:38000"));
  assert.ok(JUMPS.every((j) => j.rule.includes("kuar0")));
});

const SAVE = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:KUBE-FIREWALL - [0:0]
:KUAR-FORWARD - [0:0]
:OTHER - [0:0]
-A INPUT -j KUBE-FIREWALL
-A FORWARD -i kuar0 -j KUAR-FORWARD
-A FORWARD -j OTHER
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
COMMIT
`;

test("teardown removes jumps into kubelet's, kube-proxy's and kuar's chains, then flushes and deletes them, per table", () => {
  const cmds = chainRemovals(SAVE, ownedChain).map((c) => c.join(" "));
  assert.deepEqual(cmds, [
    "-t filter -D INPUT -j KUBE-FIREWALL",
    "-t filter -D FORWARD -i kuar0 -j KUAR-FORWARD",
    "-t filter -F KUBE-FIREWALL",
    "-t filter -F KUAR-FORWARD",
    "-t filter -X KUBE-FIREWALL",
    "-t filter -X KUAR-FORWARD",
    "-t nat -D PREROUTING -m comment --comment kubernetes service portals -j KUBE-SERVICES",
    "-t nat -F KUBE-SERVICES",
    "-t nat -X KUBE-SERVICES",
  ]);
  assert.ok(!cmds.some((c) => c.includes("OTHER")), "chains that are not ours stay");
});

test("a saved rule with a quoted comment splits back into argv", () => {
  assert.deepEqual(splitRule('-m comment --comment "a b" -j X'), ["-m", "comment", "--comment", "a b", "-j", "X"]);
});

// --- a failed create --------------------------------------------------------------------------

function fakes() {
  const calls: string[] = [];
  return {
    calls,
    controlPlane: { delete: async () => void calls.push("delete control plane") },
    realNodes: {
      saveLogs: async (dir: string) => void calls.push(`save logs ${dir}`),
      remove: async () => void calls.push("remove real nodes"),
    },
  };
}

test("a failed create takes down the real nodes (logs kept first), then the control plane it made, and says so", async () => {
  const f = fakes();
  const err = await rollBackCreate(new Error("timed out waiting for node x"), f, "/logs/c");
  assert.deepEqual(f.calls, ["save logs /logs/c", "remove real nodes", "delete control plane"]);
  assert.match(err.message, /^timed out waiting for node x\. Rolled back the real nodes and control plane/);
  assert.match(err.message, /their logs are in \/logs\/c/);
});

test("a failed create leaves alone what it did not make (a control plane that already existed)", async () => {
  const f = fakes();
  const err = await rollBackCreate(new Error("boom"), {}, "/logs/c");
  assert.deepEqual(f.calls, []);
  assert.equal(err.message, "boom.");
});

test("a rollback step that fails is reported with the original error, and the other steps still run", async () => {
  const f = fakes();
  const realNodes = { ...f.realNodes, remove: async () => Promise.reject(new Error("umount busy")) };
  const err = await rollBackCreate(new Error("boom"), { controlPlane: f.controlPlane, realNodes }, "/l");
  assert.ok(f.calls.includes("delete control plane"));
  assert.match(err.message, /^boom\..*removing the real nodes failed: Error: umount busy/);
});

/**
 * The real-node tier builds its stand-in images once into a cache directory. An archive holds the
 * reference it was built for, so one built before a pin moved must not be reused for the new pin
 * (containerd would import it under the old name and the pods' image would be missing).
 */
const standIn: ImageSpec = { ref: images.redis, config: { WorkingDir: "/data", Cmd: ["redis-server"] } };

test("fails when a cached stand-in built for another pin or layout would be reused", () => {
  const here = archivePath("/cache", "redis", standIn);
  assert.equal(archivePath("/cache", "redis", { ...standIn }), here, "the same image keeps its archive");
  assert.notEqual(archivePath("/cache", "redis", { ...standIn, ref: "redis:8.2.3-alpine" }), here, "another pin");
  assert.notEqual(
    archivePath("/cache", "redis", { ...standIn, config: { ...standIn.config, Volumes: { "/data": {} } } }),
    here,
    "another config",
  );
  assert.match(here, /^\/cache\/redis-[0-9a-f]{12}\.tar$/);
});
