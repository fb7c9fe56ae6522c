/**
 * Real nodes beside the kwok ones (`kuar:local.realNodes`): per node a containerd and a kubelet,
 * for the machine one kube-proxy and one volume provisioner, all host processes under
 * /var/lib/kuar/<cluster> and /run/kuar/<cluster>. Images from `kuar:local.images` are imported
 * before the kubelets start. `remove()` leaves nothing behind: processes, containers, network
 * namespaces, veths, the bridge, iptables chains, mounts and files.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { images as pinnedImages } from "../../config/versions.js";
import { ensureDaemon, pidsMatching, sh, stopDaemon, stopPid, waitFor, type Daemon } from "./daemon.js";
import { imagePath } from "./host.js";
import { clusterDir, type Kwok } from "./kwok.js";
import { ensurePodNetwork, podNetworkLeftovers, removeNetns, removePodNetwork } from "./pod-network.js";
import {
  containerdConfig,
  containerdSocket,
  cniConfig,
  imageAliases,
  kubeletArgs,
  kubeletConfig,
  kubeProxyConfig,
  KWOK_NODE_LABEL,
  nodeLayout,
  PLACEMENT_POLICY,
  placementManifests,
  SERVICE_PROXY_NAME,
  SERVICE_PROXY_NAME_LABEL,
  runRoot,
  stateRoot,
  type RealNodeLayout,
} from "./real-node-config.js";
import { localPathManifests, localPathProvisionerConfig, PROVISIONER_NAME } from "./volumes.js";

export interface RealNodesOptions {
  cluster: string;
  count: number;
  /** image reference -> OCI archive or layout. */
  images: Record<string, string>;
  kwok: Kwok;
  log?: (msg: string) => void;
}

const CTR = "/usr/bin/ctr";
const CONTAINERD = "/usr/bin/containerd";

export class RealNodes {
  readonly nodes: RealNodeLayout[];
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: RealNodesOptions) {
    this.nodes = Array.from({ length: opts.count }, (_, i) => nodeLayout(opts.cluster, i));
    this.log = opts.log ?? (() => {});
  }

  private get bin(): string {
    return this.opts.kwok.bin;
  }
  private get kubeconfig(): string {
    return join(clusterDir(this.opts.cluster), "kubeconfig.yaml");
  }

  private containerd(n: RealNodeLayout): Daemon {
    return {
      name: `containerd ${n.name}`,
      exe: CONTAINERD,
      args: ["--config", join(n.stateDir, "containerd.toml")],
      pidFile: join(n.runDir, "containerd.pid"),
      logFile: join(n.stateDir, "logs", "containerd.log"),
      env: { ...process.env, PATH: `/usr/bin:/usr/sbin:/bin:/sbin:${this.bin}` },
    };
  }
  private kubelet(n: RealNodeLayout): Daemon {
    return {
      name: `kubelet ${n.name}`,
      exe: join(this.bin, "kubelet"),
      args: kubeletArgs(n, join(n.stateDir, "kubelet.json"), this.kubeconfig),
      pidFile: join(n.runDir, "kubelet.pid"),
      logFile: join(n.stateDir, "logs", "kubelet.log"),
      env: { ...process.env, PATH: `/usr/bin:/usr/sbin:/bin:/sbin:${this.bin}` },
    };
  }
  private machineDaemons(): Daemon[] {
    const root = stateRoot(this.opts.cluster);
    const run = runRoot(this.opts.cluster);
    return [
      {
        name: "kube-proxy",
        exe: join(this.bin, "kube-proxy"),
        args: [`--config=${join(root, "kube-proxy.json")}`],
        pidFile: join(run, "kube-proxy.pid"),
        logFile: join(root, "logs", "kube-proxy.log"),
      },
      {
        name: "local-path-provisioner",
        exe: join(this.bin, "local-path-provisioner"),
        args: [
          "start",
          "--config",
          join(root, "local-path.json"),
          "--kubeconfig",
          this.kubeconfig,
          "--provisioner-name",
          PROVISIONER_NAME,
          "--namespace",
          "kube-system",
          "--helper-image",
          pinnedImages.localPathHelper,
          "--service-account-name",
          "kuar-local-path",
          "--configmap-name",
          "kuar-local-path",
        ],
        pidFile: join(run, "local-path.pid"),
        logFile: join(root, "logs", "local-path.log"),
      },
    ];
  }

  /** The API server's port on 127.0.0.1, from kwokctl's kubeconfig. */
  private apiServerPort(): number {
    const m = /server:\s*https:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(this.kubeconfig, "utf8"));
    if (!m) throw new Error(`no https://127.0.0.1:<port> server in ${this.kubeconfig}`);
    return Number(m[1]);
  }

  /** Starts (or repairs) every node and machine service, imports images, waits for Ready nodes. */
  async ensure(): Promise<void> {
    if (this.nodes.length === 0) {
      // No real nodes (any more): pods must not be steered towards them.
      if (this.opts.kwok.exists()) {
        await this.opts.kwok.kubectl([
          "delete",
          "mutatingadmissionpolicybinding,mutatingadmissionpolicy",
          PLACEMENT_POLICY,
          "--ignore-not-found",
        ]);
      }
      return;
    }
    const root = stateRoot(this.opts.cluster);
    await mkdir(join(root, "volumes"), { recursive: true, mode: 0o755 });
    await ensurePodNetwork(
      this.nodes.map((n) => n.gateway),
      this.apiServerPort(),
    );
    const ca = join(clusterDir(this.opts.cluster), "pki", "ca.crt");
    for (const n of this.nodes) {
      for (const d of ["cni", "logs", "kubelet", "ipam"]) await mkdir(join(n.stateDir, d), { recursive: true });
      await mkdir(n.runDir, { recursive: true });
      await writeFile(
        join(n.stateDir, "containerd.toml"),
        containerdConfig(n, join(this.bin, "runc"), pinnedImages.pause),
      );
      await writeFile(join(n.stateDir, "cni", "10-kuar.conflist"), cniConfig(n));
      await writeFile(join(n.stateDir, "kubelet.json"), kubeletConfig(n, ca, "/etc/resolv.conf"));
      await ensureDaemon(this.containerd(n));
      await waitFor(
        `containerd of ${n.name}`,
        async () => existsSync(containerdSocket(n)) && (await this.ctr(n, ["version"]), true),
        30_000,
      );
      await this.importImages(n);
      await ensureDaemon(this.kubelet(n));
    }
    await writeFile(join(root, "kube-proxy.json"), kubeProxyConfig(this.kubeconfig, this.nodes[0]!.name));
    await writeFile(join(root, "local-path.json"), localPathProvisionerConfig(join(root, "volumes")));
    await this.opts.kwok.kubectl(
      ["apply", "--server-side", "--force-conflicts", "--field-manager=kuar-local", "-f", "-"],
      placementManifests(Object.keys(this.opts.images)),
    );
    await this.opts.kwok.kubectl(
      ["apply", "--server-side", "--force-conflicts", "--field-manager=kuar-local", "-f", "-"],
      localPathManifests(),
    );
    await waitFor("the placement policy to take effect", () => this.placementActive(), 60_000);
    // kube-proxy would send the kubernetes Service to the API server's advertised address, where
    // it does not listen (it binds 127.0.0.1); the pod network's own DNAT serves it instead.
    await this.opts.kwok.kubectl([
      "label",
      "service",
      "kubernetes",
      "-n",
      "default",
      "--overwrite",
      `${SERVICE_PROXY_NAME_LABEL}=${SERVICE_PROXY_NAME}`,
    ]);
    for (const d of this.machineDaemons()) await ensureDaemon(d);
    for (const n of this.nodes) {
      await waitFor(
        `node ${n.name} to be Ready (see ${join(n.stateDir, "logs", "kubelet.log")})`,
        async () =>
          (await this.opts.kwok.kubectl([
            "get",
            "node",
            n.name,
            "-o",
            "jsonpath={.status.conditions[?(@.type=='Ready')].status}",
          ])) === "True",
        120_000,
      );
    }
    this.log(`${this.nodes.length} real node(s) Ready: ${this.nodes.map((n) => n.name).join(", ")}`);
  }

  /** A server-side dry run of a pod shows whether admission already applies the placement policy. */
  private async placementActive(): Promise<boolean> {
    const probe = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "kuar-placement-probe", namespace: "default" },
      spec: { containers: [{ name: "probe", image: "kuar.invalid/probe:never" }] },
    };
    const out = await this.opts.kwok.kubectl(
      ["create", "--dry-run=server", "-o", "jsonpath={.spec.nodeSelector}", "-f", "-"],
      JSON.stringify(probe),
    );
    return out.includes(KWOK_NODE_LABEL);
  }

  private ctr(n: RealNodeLayout, args: string[]): Promise<string> {
    return sh(CTR, ["--address", containerdSocket(n), "--namespace", "k8s.io", ...args]);
  }

  /** Imports each configured image unless containerd already has it under its reference. */
  private async importImages(n: RealNodeLayout): Promise<void> {
    const have = new Set((await this.ctr(n, ["images", "ls", "-q"])).split("\n").filter(Boolean));
    for (const [ref, path] of Object.entries(this.opts.images)) {
      const names = imageAliases(ref);
      const want = names[names.length - 1]!;
      if (have.has(want)) continue;
      let archive = imagePath(path, process.cwd());
      let tmp: string | undefined;
      if (!archive.endsWith(".tar") && existsSync(join(archive, "index.json"))) {
        tmp = join(n.runDir, `import-${names.length}-${Date.now()}.tar`);
        await sh("tar", ["-C", archive, "-cf", tmp, "."]);
        archive = tmp;
      }
      const before = new Set((await this.ctr(n, ["images", "ls", "-q"])).split("\n").filter(Boolean));
      await this.ctr(n, ["images", "import", "--all-platforms", archive]);
      if (tmp) await rm(tmp, { force: true });
      const after = (await this.ctr(n, ["images", "ls", "-q"])).split("\n").filter((i) => i && !before.has(i));
      const current = new Set([...before, ...after]);
      if (!current.has(want)) {
        const source = after[0];
        if (!source) throw new Error(`importing ${path} for ${ref} into ${n.name} added no image`);
        await this.ctr(n, ["images", "tag", "--force", source, want]);
      }
      this.log(`imported ${ref} into ${n.name}`);
    }
  }

  /** Network namespaces containerd made for this node's sandboxes (read from their specs). */
  private async netnsPaths(n: RealNodeLayout): Promise<string[]> {
    if (!existsSync(containerdSocket(n))) return [];
    const ids = (await this.ctr(n, ["containers", "ls", "-q"]).catch(() => "")).split("\n").filter(Boolean);
    const paths: string[] = [];
    for (const id of ids) {
      const info = await this.ctr(n, ["containers", "info", id]).catch(() => "{}");
      const spec = (JSON.parse(info) as { Spec?: { linux?: { namespaces?: { type: string; path?: string }[] } } }).Spec;
      for (const ns of spec?.linux?.namespaces ?? []) if (ns.type === "network" && ns.path) paths.push(ns.path);
    }
    return [...new Set(paths)];
  }

  /** Copies every log of the real nodes and machine services into `dir` (before a remove, to keep them). */
  async saveLogs(dir: string): Promise<void> {
    const root = stateRoot(this.opts.cluster);
    const sources = [join(root, "logs"), ...(await this.knownNodes()).map((n) => join(n.stateDir, "logs"))];
    for (const src of sources.filter((p) => existsSync(p))) {
      const dest = join(dir, src === join(root, "logs") ? "machine" : basename(dirname(src)));
      await mkdir(dest, { recursive: true });
      await cp(src, dest, { recursive: true });
    }
  }

  /** Stops and removes everything the real nodes made; safe to call when nothing runs. */
  async remove(): Promise<void> {
    const cluster = this.opts.cluster;
    const root = stateRoot(cluster);
    if (!existsSync(root) && !existsSync(runRoot(cluster))) return;
    const nodes = await this.knownNodes();
    if (nodes.length) this.log(`removing real nodes ${nodes.map((n) => n.name).join(", ")}`);
    for (const d of this.machineDaemons()) await stopDaemon(d);
    const netns: string[] = [];
    for (const n of nodes) {
      await stopDaemon(this.kubelet(n));
      netns.push(...(await this.netnsPaths(n)));
      // Every container of this node: kill and delete its task, then the container.
      if (existsSync(containerdSocket(n))) {
        const tasks = (await this.ctr(n, ["tasks", "ls", "-q"]).catch(() => "")).split("\n").filter(Boolean);
        for (const t of tasks) await this.ctr(n, ["tasks", "kill", "--signal", "SIGKILL", t]).catch(() => undefined);
        for (const t of tasks) {
          await waitFor(
            `task ${t} to stop`,
            async () =>
              !(await this.ctr(n, ["tasks", "ls"])).split("\n").some((l) => l.startsWith(t) && l.includes("RUNNING")),
            10_000,
          ).catch(() => undefined);
          await this.ctr(n, ["tasks", "delete", "--force", t]).catch(() => undefined);
        }
        const containers = (await this.ctr(n, ["containers", "ls", "-q"]).catch(() => "")).split("\n").filter(Boolean);
        for (const c of containers) await this.ctr(n, ["containers", "delete", c]).catch(() => undefined);
      }
      await stopDaemon(this.containerd(n));
      for (const pid of pidsMatching(["containerd-shim", containerdSocket(n)])) await stopPid(pid, 2_000);
    }
    await removeNetns(netns);
    await removePodNetwork();
    await unmountUnder(root);
    await unmountUnder(runRoot(cluster));
    await rm(root, { recursive: true, force: true });
    await rm(runRoot(cluster), { recursive: true, force: true });
  }

  /** Nodes with a state directory (also those from a larger count before a scale-down). */
  private async knownNodes(): Promise<RealNodeLayout[]> {
    const root = stateRoot(this.opts.cluster);
    const names = existsSync(root) ? await readdir(root) : [];
    const prefix = `${this.opts.cluster}-real-`;
    const indexes = names.filter((d) => d.startsWith(prefix)).map((d) => Number(d.slice(prefix.length)));
    return [...new Set([...indexes, ...this.nodes.map((n) => n.index)])]
      .sort()
      .map((i) => nodeLayout(this.opts.cluster, i));
  }

  /** What would stay behind; empty after remove(). */
  async leftovers(): Promise<string[]> {
    const left = await podNetworkLeftovers();
    const roots = [stateRoot(this.opts.cluster), runRoot(this.opts.cluster)];
    for (const p of roots) if (existsSync(p)) left.push(p);
    for (const m of mountsUnder(roots[0]!).concat(mountsUnder(roots[1]!))) left.push(`mount ${m}`);
    // Container processes (pause, CoreDNS, Redis, ...), found by the overlay their root is.
    for (const pid of pidsWithOverlayFrom(roots[0]!)) left.push(`container process ${pid}`);
    for (const n of this.nodes) for (const pid of pidsMatching([containerdSocket(n)])) left.push(`process ${pid}`);
    for (const n of this.nodes)
      for (const pid of pidsMatching([join(n.stateDir, "kubelet")])) left.push(`process ${pid}`);
    for (const d of this.machineDaemons())
      for (const pid of pidsMatching([d.exe, this.kubeconfig])) left.push(`process ${pid} (${d.name})`);
    return left;
  }
}

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + "/")))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything mounted below `dir`, deepest first, so removing it never reaches into a mount. */
export async function unmountUnder(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) await sh("umount", ["-l", m]).catch(() => undefined);
}

/**
 * Container processes of these nodes: their root mount is an overlay whose layers live below
 * `dir` (containerd's snapshots). /proc/<pid>/root reads "/" from outside their mount namespace,
 * so this reads the root line of /proc/<pid>/mountinfo instead.
 */
export function pidsWithOverlayFrom(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const root = readFileSync(`/proc/${e}/mountinfo`, "utf8")
        .split("\n")
        .find((l) => l.split(" ")[4] === "/");
      if (root?.includes(`dir=${dir}/`)) out.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
