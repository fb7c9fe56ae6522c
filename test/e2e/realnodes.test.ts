/**
 * Real nodes beside kwok: `up` with `kuar:local.realNodes`, then what only real containers can
 * show. Real here: kubelet, containerd, runc, the CNI bridge, kube-proxy, CoreDNS,
 * local-path-provisioner, Redis and Sentinel. kuard stays on a kwok node (its image cannot be
 * built here). Ends with destroy leaving nothing on the machine.
 *
 * KUAR_E2E_BREAK_SENTINEL=1 breaks Sentinel's configuration on purpose (its down-after time made
 * longer than the failover wait), to show the failover test fails when Sentinel cannot fail over.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RealNodes } from "../../providers/local/real-nodes.js";
import { Kwok } from "../../providers/local/kwok.js";
import { images as pinned, toolchain } from "../../config/versions.js";
import { ensureDaemon } from "../../providers/local/daemon.js";
import { ensurePodNetwork } from "../../providers/local/pod-network.js";
import {
  cniConfig,
  containerdConfig,
  containerdSocket,
  kubeletArgs,
  kubeletConfig,
  nodeLayout,
} from "../../providers/local/real-node-config.js";
import { toolchainBinDir } from "../../cli/engine.js";
import { cannotRun, createStack, seconds, type E2eStack } from "../../kit/e2e/harness.js";
import {
  APPS,
  DESTROY_MINUTES,
  eventually,
  failOver,
  pods,
  pulumiBounded,
  realNodesCannotRun,
  realNodesConfig,
  redisCli,
  redisNames,
  SENTINEL,
  sentinelPrimary,
  SERVER,
  testImages,
  type Pod,
  UP_MINUTES,
} from "../../kit/e2e/realnodes.js";

// Runs wherever real nodes can (root, Linux, the Debian packages, the toolchain's real-node
// pieces, what the test images are built from); elsewhere both suites skip, naming what is missing.
const nodeReason = realNodesCannotRun();
const reason = cannotRun() ?? nodeReason;
if (reason) console.log(`# real-node e2e tier not run: ${reason}`);
const REAL = Number(process.env["KUAR_E2E_REAL_NODES"] ?? "1");
const breakSentinel = process.env["KUAR_E2E_BREAK_SENTINEL"] === "1";

/** The real nodes of a cluster, for teardown and the leftover check. */
const realNodesOf = (cluster: string) =>
  new RealNodes({
    cluster,
    count: REAL,
    images: {},
    kwok: new Kwok({ name: cluster, kubeVersion: toolchain.kubernetes }),
  });
const isReady = (p: { status: { conditions?: { type: string; status: string }[] } }) =>
  p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
/** Host-side veths the CNI bridge plugin made (veth<8 hex>), from `ip -o link show type veth`. */
const cniVeths = (links: string) =>
  links
    .split("\n")
    .map((l) => l.split(": ")[1]?.split("@")[0] ?? "")
    .filter((n) => /^veth[0-9a-f]{8}$/.test(n))
    .sort();
// containerd names its pods' network namespaces cni-<uuid>; other tests on this machine make their own.
const netnsList = () =>
  existsSync("/run/netns")
    ? readdirSync("/run/netns")
        .filter((n) => n.startsWith("cni-"))
        .sort()
    : [];

describe("real nodes on the local target", { skip: reason }, () => {
  let s: E2eStack;
  const timings: Record<string, number> = {};
  let netnsBefore: string[] = [];
  let vethsBefore: string[] = [];
  let names: ReturnType<typeof redisNames>;
  const realNode = (n?: string) => !!n && n.includes("-real-");

  before(() => {
    netnsBefore = netnsList();
    vethsBefore = cniVeths(execFileSync("ip", ["-o", "link", "show", "type", "veth"], { encoding: "utf8" }));
    s = createStack(realNodesConfig(REAL, testImages()), "e2e-real");
  });
  after(async () => {
    if (!s) return;
    await pulumiBounded(s, ["destroy", "--yes", "--non-interactive"], DESTROY_MINUTES);
    // Whatever a failed step left outside the stack's state: this stack's own nodes, by name.
    await realNodesOf(s.clusterName).remove();
    s.remove();
    console.log(`# real-node e2e timings (s): ${JSON.stringify(timings)}`);
  });

  test("up brings real nodes up beside the kwok node and deploys onto both", async () => {
    const t = Date.now();
    const r = await pulumiBounded(s, ["up", "--yes", "--non-interactive"], UP_MINUTES);
    timings["up"] = seconds(t);
    assert.equal(r.status, 0, r.stdout);
    const nodes = JSON.parse(s.kubectl(["get", "nodes", "-o", "json"])).items as {
      metadata: { name: string; annotations?: Record<string, string> };
      status: { nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string } };
    }[];
    const real = nodes.filter((n) => realNode(n.metadata.name));
    assert.equal(real.length, REAL);
    for (const n of real) {
      assert.equal(n.status.nodeInfo.kubeletVersion, `v${toolchain.kubernetes}`);
      assert.match(n.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
      assert.equal(n.metadata.annotations?.["kwok.x-k8s.io/node"], undefined, "kwok must not manage real nodes");
    }
    assert.equal(nodes.length - real.length, 1, "one kwok node");
  });

  test("Redis and Sentinel run on real nodes, kuard stays on the kwok node", () => {
    const server = pods(s, SERVER);
    const sentinel = pods(s, SENTINEL);
    assert.equal(server.length, 3);
    assert.equal(sentinel.length, 3);
    for (const p of [...server, ...sentinel]) {
      assert.ok(realNode(p.spec.nodeName), `${p.metadata.name} is on ${p.spec.nodeName}`);
      assert.ok(isReady(p), `${p.metadata.name} is not Ready`);
    }
    const kuard = pods(s, "app.kubernetes.io/name=kuard");
    assert.ok(kuard.length > 0);
    for (const p of kuard) assert.ok(!realNode(p.spec.nodeName), `${p.metadata.name} landed on ${p.spec.nodeName}`);
    names = redisNames(s);
  });

  test("a restricted pod with a read-only root and emptyDirs runs: writes to / fail, /tmp works", () => {
    const pod = pods(s, SERVER)[1]!;
    const sc = pod.spec.containers[0]!.securityContext!;
    assert.equal(sc["readOnlyRootFilesystem"], true);
    assert.equal(sc["runAsNonRoot"], true);
    const out = s.kubectl([
      "exec",
      "-n",
      APPS,
      pod.metadata.name,
      "--",
      "sh",
      "-c",
      // Shell redirections only: the image needs no touch.
      "id -u; (: > /x) 2>&1; : > /tmp/x && echo tmp-ok",
    ]);
    assert.match(out, /^999\n/);
    assert.match(out, /\/x: Read-only file system/);
    assert.match(out, /tmp-ok/);
  });

  test("Service names resolve through the real CoreDNS and ClusterIPs route through kube-proxy", () => {
    const dns = JSON.parse(s.kubectl(["get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", "json"]))
      .items as Pod[];
    assert.ok(dns.length > 0 && dns.every((p) => realNode(p.spec.nodeName)), "CoreDNS runs on real nodes");
    const fqdn = `${names.primaryService}.${APPS}.svc.cluster.local`;
    // CoreDNS is Ready only after its kubernetes plugin synced with the API server, which pods
    // reach through the kubernetes Service (10.96.0.1 -> 127.0.0.1, pod-network.ts).
    assert.ok(dns.every(isReady), "CoreDNS pods are Ready");
    assert.equal(redisCli(s, names.sentinelPod, ["-h", fqdn, "ping"]), "PONG");
  });

  test("a PVC's data survives its pod's deletion, in a real directory on this machine", async () => {
    const pod = `${names.set}-2`;
    s.kubectl(["exec", "-n", APPS, pod, "--", "sh", "-c", "echo kuar-e2e > /data/marker"]);
    s.kubectl(["delete", "pod", "-n", APPS, pod, "--wait=true", "--timeout=60s"]);
    await eventually(
      `${pod} to be Ready again`,
      () => (pods(s, SERVER).find((p) => p.metadata.name === pod && isReady(p)) ? true : undefined),
      120_000,
    );
    assert.equal(s.kubectl(["exec", "-n", APPS, pod, "--", "cat", "/data/marker"]).trim(), "kuar-e2e");
    const pv = s.kubectl(["get", "pvc", "-n", APPS, `data-${pod}`, "-o", "jsonpath={.spec.volumeName}"]);
    const path = s.kubectl(["get", "pv", pv, "-o", "jsonpath={.spec.hostPath.path}"]);
    assert.ok(path.startsWith("/var/lib/kuar/"), path);
    assert.ok(existsSync(join(path, "marker")), `no marker in ${path}`);
  });

  test("Sentinel promotes a replica when the primary's pod is deleted, and a client finds it and reads the key", async () => {
    const { set, sentinelService, primaryService, masterName, sentinelPod } = names;
    if (breakSentinel) {
      // The deliberate breakage: Sentinel waits 10 minutes before it calls the primary down.
      const cm = JSON.parse(s.kubectl(["get", "configmap", "-n", APPS, set, "-o", "json"]));
      cm.data["sentinel.conf"] = cm.data["sentinel.conf"].replace(
        /down-after-milliseconds (\S+) \d+/,
        "down-after-milliseconds $1 600000",
      );
      execFileSync(
        join(s.bin, "kubectl"),
        [
          "--kubeconfig",
          join(process.env["HOME"]!, ".kwok", "clusters", s.clusterName, "kubeconfig.yaml"),
          "replace",
          "-f",
          "-",
        ],
        { input: JSON.stringify(cm) },
      );
      s.kubectl(["rollout", "restart", "-n", APPS, `statefulset/${set}-sentinel`]);
      s.kubectl(["rollout", "status", "-n", APPS, `statefulset/${set}-sentinel`, "--timeout=180s"]);
    }
    const client = breakSentinel ? pods(s, SENTINEL)[0]!.metadata.name : sentinelPod;
    // One connection: the write, then WAIT until both replicas acknowledged it.
    const written = s.kubectl([
      "exec",
      "-n",
      APPS,
      client,
      "--",
      "sh",
      "-c",
      `printf 'SET kuar-e2e-key written-before-failover\\nWAIT 2 10000\\n' | redis-cli -h ${primaryService}`,
    ]);
    assert.deepEqual(written.trim().split("\n"), ["OK", "2"], "written and acknowledged by both replicas");
    const before = sentinelPrimary(s, client, sentinelService, masterName);
    assert.match(before, new RegExp(`^${set}-0\\.`));
    const t = Date.now();
    const promoted = await failOver(s, client, names, 90_000);
    timings["failover"] = seconds(t);
    assert.equal(redisCli(s, client, ["-h", promoted, "get", "kuar-e2e-key"]), "written-before-failover");
    // The old primary comes back as a replica of the new one.
    await eventually(
      `${set}-0 to rejoin`,
      () => (pods(s, SERVER).find((p) => p.metadata.name === `${set}-0` && isReady(p)) ? true : undefined),
      180_000,
    );
    // It may start before Sentinel has failed over (it then asks Sentinel, hears itself, and starts
    // as master); Sentinel turns it into a replica once it sees it again.
    await eventually(
      `${set}-0 to be a replica of ${promoted}`,
      () => (redisCli(s, `${set}-0`, ["role"]).startsWith("slave") ? true : undefined),
      90_000,
    );
  });

  test("a Job on a real node runs to completion", () => {
    const job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "kuar-e2e-job", namespace: "default" },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: "Never",
            containers: [
              {
                name: "job",
                image: "busybox:1.37.0",
                imagePullPolicy: "IfNotPresent",
                command: ["sh", "-c", "echo job-ran && test -d /tmp"],
              },
            ],
          },
        },
      },
    };
    execFileSync(
      join(s.bin, "kubectl"),
      [
        "--kubeconfig",
        join(process.env["HOME"]!, ".kwok", "clusters", s.clusterName, "kubeconfig.yaml"),
        "create",
        "-f",
        "-",
      ],
      { input: JSON.stringify(job) },
    );
    s.kubectl(["wait", "-n", "default", "--for=condition=complete", "job/kuar-e2e-job", "--timeout=120s"]);
    const node = s.kubectl([
      "get",
      "pods",
      "-n",
      "default",
      "-l",
      "job-name=kuar-e2e-job",
      "-o",
      "jsonpath={.items[0].spec.nodeName}",
    ]);
    assert.ok(realNode(node), node);
    assert.match(s.kubectl(["logs", "-n", "default", "job/kuar-e2e-job"]), /job-ran/);
  });

  test("destroy leaves nothing: no processes, chains, bridge, veths, network namespaces or files", async () => {
    const t = Date.now();
    const r = await pulumiBounded(s, ["destroy", "--yes", "--non-interactive"], DESTROY_MINUTES);
    timings["destroy"] = seconds(t);
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(await realNodesOf(s.clusterName).leftovers(), []);
    assert.deepEqual(netnsList(), netnsBefore, "network namespaces");
    assert.deepEqual(
      cniVeths(execFileSync("ip", ["-o", "link", "show", "type", "veth"], { encoding: "utf8" })),
      vethsBefore,
      "veths",
    );
  });
});

/**
 * The node stack alone, without a control plane: a standalone kubelet runs a restricted Redis
 * static pod through containerd, runc and the CNI bridge; the pod answers on its pod IP, cannot
 * route off the machine, and RealNodes.remove() leaves nothing behind.
 */
describe("a real node's stack on its own (standalone kubelet)", { skip: nodeReason }, () => {
  const cluster = `kuar-e2e-standalone-${process.pid}`;
  const n = nodeLayout(cluster, 0);
  const remover = realNodesOf(cluster);
  const sh = (c: string) => execFileSync("sh", ["-c", c], { encoding: "utf8" });
  after(() => remover.remove());

  test("a restricted pod runs and answers on its pod IP; teardown removes processes, chains, veths and netns", async () => {
    const bin = toolchainBinDir();
    const images = testImages();
    const netnsBefore = netnsList();
    // The CNI bridge plugin names host-side veths veth<8 hex>; other tests here make their own.
    const veths = () => cniVeths(sh("ip -o link show type veth"));
    const vethsBefore = veths();
    for (const d of ["cni", "logs", "kubelet", "ipam", "manifests"])
      mkdirSync(join(n.stateDir, d), { recursive: true });
    mkdirSync(n.runDir, { recursive: true });
    const ca = join(n.stateDir, "ca.crt");
    sh(
      `openssl req -x509 -newkey rsa:2048 -nodes -keyout ${n.stateDir}/ca.key -out ${ca} -days 1 -subj /CN=kuar-e2e 2>/dev/null`,
    );
    const t0 = Date.now();
    await ensurePodNetwork([n.gateway], 6443);
    writeFileSync(join(n.stateDir, "containerd.toml"), containerdConfig(n, join(bin, "runc"), pinned.pause));
    writeFileSync(join(n.stateDir, "cni", "10-kuar.conflist"), cniConfig(n));
    const env = { ...process.env, PATH: `/usr/bin:/usr/sbin:/bin:/sbin:${bin}` };
    await ensureDaemon({
      name: "containerd",
      exe: "/usr/bin/containerd",
      args: ["--config", join(n.stateDir, "containerd.toml")],
      pidFile: join(n.runDir, "containerd.pid"),
      logFile: join(n.stateDir, "logs", "containerd.log"),
      env,
    });
    await eventually("containerd's socket", () => (existsSync(containerdSocket(n)) ? true : undefined), 30_000);
    const ctr = `ctr --address ${containerdSocket(n)} -n k8s.io`;
    for (const ref of [pinned.pause, pinned.redis])
      sh(`${ctr} images import --all-platforms ${images[ref]} >/dev/null`);
    const cfg = {
      ...JSON.parse(kubeletConfig(n, ca, "/etc/resolv.conf")),
      staticPodPath: join(n.stateDir, "manifests"),
    };
    writeFileSync(join(n.stateDir, "kubelet.json"), JSON.stringify(cfg));
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "redis", namespace: "default" },
      spec: {
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 999,
          runAsGroup: 1000,
          seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
          {
            name: "redis",
            image: pinned.redis,
            imagePullPolicy: "IfNotPresent",
            args: ["--protected-mode", "no"],
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            },
            volumeMounts: [
              { name: "data", mountPath: "/data" },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "data", emptyDir: {} },
          { name: "tmp", emptyDir: {} },
        ],
      },
    };
    writeFileSync(join(n.stateDir, "manifests", "redis.json"), JSON.stringify(pod));
    const kubelet = kubeletArgs(n, join(n.stateDir, "kubelet.json"), "").filter(
      (a) => !a.startsWith("--kubeconfig") && !a.startsWith("--node-labels"),
    );
    await ensureDaemon({
      name: "kubelet",
      exe: join(bin, "kubelet"),
      args: kubelet,
      pidFile: join(n.runDir, "kubelet.pid"),
      logFile: join(n.stateDir, "logs", "kubelet.log"),
      env,
    });
    const ipam = join(n.stateDir, "ipam", "kuar");
    const ip = await eventually(
      "a pod IP from host-local",
      () => (existsSync(ipam) ? readdirSync(ipam).find((f) => f.startsWith("10.244.0.")) : undefined),
      120_000,
    );
    await eventually(
      "Redis to answer on its pod IP",
      () => (sh(`redis-cli -h ${ip} ping`).trim() === "PONG" ? true : undefined),
      120_000,
    );
    console.log(`# standalone real node: pod answered ${seconds(t0)}s after containerd started`);
    const task = sh(`${ctr} tasks ls -q`).split("\n").filter(Boolean);
    const uids = task.map((t) => sh(`${ctr} tasks exec --exec-id kuar-check ${t} id -u 2>/dev/null || true`).trim());
    assert.ok(uids.includes("999"), `redis runs as 999: ${uids.join(",")}`);
    assert.match(sh(`ip route get 1.1.1.1 from ${ip} iif kuar0 2>&1 || true`), /No route to host|unreachable/);
    assert.match(
      sh("iptables-save"),
      /:KUBE-FIREWALL/,
      "kubelet wrote its chains (so teardown has something to remove)",
    );

    // The leftover check sees the running containers (so an empty list after remove() means something).
    const running = await remover.leftovers();
    assert.ok(
      running.some((l) => l.startsWith("container process")),
      `leftovers() finds the containers: ${running.join(", ")}`,
    );
    await remover.remove();
    assert.deepEqual(await remover.leftovers(), []);
    assert.deepEqual(netnsList(), netnsBefore, "network namespaces");
    assert.deepEqual(veths(), vethsBefore, "veths");
    assert.doesNotMatch(sh("iptables-save; ip6tables-save"), /:KUBE-|:KUAR-/);
  });
});
