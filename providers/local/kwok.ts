/**
 * The local control plane's lifecycle through kwokctl's binary runtime: a real kube-apiserver,
 * kube-controller-manager, kube-scheduler and etcd on 127.0.0.1, with kwok simulating nodes.
 * Used by the LocalControlPlane dynamic provider and by `npm run cluster`.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { settledComponents } from "./kwok-health.js";
import { KUBERNETES_SERVICE_IP, SERVICE_CIDR } from "./real-node-config.js";
import { PROVISIONER_NAME } from "./volumes.js";

const run = promisify(execFile);

export { SERVICE_CIDR };

/** Where `npm run toolchain` links its binaries. */
export function toolchainBin(env: NodeJS.ProcessEnv = process.env): string {
  return join(env["KUAR_TOOLCHAIN_DIR"] ?? join(homedir(), ".cache", "kuar", "toolchain"), "bin");
}

/** kwokctl keeps each cluster's state, certificates and logs here. */
export function clusterDir(name: string): string {
  return join(homedir(), ".kwok", "clusters", name);
}

/** The kwokctl configuration: binary runtime, local binaries, loopback only. */
export function kwokctlConfig(bin: string, kubeVersion: string): string {
  return [
    "apiVersion: config.kwok.x-k8s.io/v1alpha1",
    "kind: KwokctlConfiguration",
    "options:",
    "  runtime: binary",
    "  bindAddress: 127.0.0.1",
    `  kubeVersion: v${kubeVersion}`,
    `  kubeApiserverBinary: ${join(bin, "kube-apiserver")}`,
    `  kubeControllerManagerBinary: ${join(bin, "kube-controller-manager")}`,
    `  kubeSchedulerBinary: ${join(bin, "kube-scheduler")}`,
    `  kwokControllerBinary: ${join(bin, "kwok")}`,
    `  etcdBinary: ${join(bin, "etcd")}`,
    // MutatingAdmissionPolicy (beta in 1.34, off by default) places pods (real-node-config.ts).
    "  kubeFeatureGates: MutatingAdmissionPolicy=true",
    "  kubeRuntimeConfig: admissionregistration.k8s.io/v1beta1=true",
    // Pods on real nodes reach the API server as https://10.96.0.1 (the kubernetes Service).
    "  kubeApiserverCertSANs:",
    `  - ${KUBERNETES_SERVICE_IP}`,
    "",
  ].join("\n");
}

/**
 * The default StorageClass: kube-controller-manager's hostpath provisioner on simulated nodes,
 * local-path-provisioner (world-writable directories non-root pods can use) with real nodes.
 */
export function storageClassManifest(realNodes: number): string {
  return JSON.stringify({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: realNodes > 0 ? PROVISIONER_NAME : "kubernetes.io/host-path",
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
  });
}

/**
 * Flags every cluster is created with (with kwokctlConfig's options, so real nodes can be added
 * to it later): kwok manages only the nodes kwokctl made (annotated `kwok.x-k8s.io/node: fake`),
 * and the API server authenticates to kubelets (logs, exec) with kwokctl's admin certificate.
 */
export const extraArgs = (name: string) =>
  firstPerComponentFirst([
    `kube-apiserver=kubelet-client-certificate=${join(clusterDir(name), "pki", "admin.crt")}`,
    `kube-apiserver=kubelet-client-key=${join(clusterDir(name), "pki", "admin.key")}`,
    "kube-controller-manager=enable-hostpath-provisioner=true",
    // The conventional Service range (kubeadm's), so kube-dns can take 10.96.0.10 as on real clusters.
    `kube-apiserver=service-cluster-ip-range=${SERVICE_CIDR}`,
    `kube-controller-manager=service-cluster-ip-range=${SERVICE_CIDR}`,
    // The API server dials a node's kubelet (exec, logs) at its InternalIP: real nodes have no
    // resolvable host name, and simulated ones get a loopback InternalIP (KWOK_NODE_IP).
    "kube-apiserver=kubelet-preferred-address-types=InternalIP",
    "kwok-controller=manage-all-nodes=false",
    "kwok-controller=manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
  ]);

/**
 * kwokctl v0.8.0 groups `--extra-args component=key=value` by component, but records a
 * component's group under the flag's own position (pkg/kwokctl/cmd/create/cluster/cluster.go,
 * mutationComponentPatches), so a component whose first flag is not at the position of its group
 * panics with "index out of range". Putting every component's first flag first, in order, makes
 * the two positions agree.
 */
export function firstPerComponentFirst(args: string[]): string[] {
  const seen = new Set<string>();
  const first: string[] = [];
  const rest: string[] = [];
  for (const a of args) {
    const component = a.split("=")[0]!;
    (seen.has(component) ? rest : first).push(a);
    seen.add(component);
  }
  return [...first, ...rest];
}
export const STORAGE_CLASS = "standard";

/**
 * InternalIP of the simulated nodes (kwokctl numbers them up from it). kwokctl v0.8.0's node
 * template defaults to 192.0.2.1 (kustomize/kwokctl/resource/node.yaml), which may be a real
 * address on the machine's network; loopback keeps the API server's kubelet dials on this machine.
 */
export const KWOK_NODE_IP = "127.0.0.1";

/** `kwokctl scale node` arguments for `nodes` simulated nodes with loopback addresses. */
export function scaleArgs(nodes: number): string[] {
  return ["scale", "node", "--replicas", String(nodes), "--param", `.nodeIPs=[${JSON.stringify(KWOK_NODE_IP)}]`];
}

export interface KwokOptions {
  name: string;
  kubeVersion: string;
  bin?: string;
  log?: (msg: string) => void;
}

export class Kwok {
  readonly bin: string;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: KwokOptions) {
    this.bin = opts.bin ?? toolchainBin();
    this.log = opts.log ?? (() => {});
  }

  private async kwokctl(...args: string[]): Promise<string> {
    const exe = join(this.bin, "kwokctl");
    if (!existsSync(exe)) {
      throw new Error(
        `kwokctl not found at ${exe}. Run "npm run toolchain" first (it builds the local control plane).`,
      );
    }
    const { stdout } = await run(exe, ["--name", this.opts.name, ...args], {
      env: { ...process.env, PATH: `${this.bin}:${process.env["PATH"] ?? ""}`, KWOK_RUNTIME: "binary" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }

  /** kubectl from the toolchain against this cluster (admin kubeconfig kept by kwokctl). */
  async kubectl(args: string[], input?: string): Promise<string> {
    const exe = join(this.bin, "kubectl");
    const kubeconfig = join(clusterDir(this.opts.name), "kubeconfig.yaml");
    const child = execFile(exe, ["--kubeconfig", kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 });
    if (input !== undefined) child.stdin?.end(input);
    return new Promise((resolve, reject) => {
      let out = "";
      let err = "";
      child.stdout?.on("data", (d) => (out += d));
      child.stderr?.on("data", (d) => (err += d));
      child.on("close", (code) =>
        code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(" ")}: ${err.trim()}`)),
      );
    });
  }

  exists(): boolean {
    return existsSync(join(clusterDir(this.opts.name), "kwok.yaml"));
  }

  /** Creates the cluster, or starts it when it exists but is stopped (e.g. after a reboot). */
  async ensure(nodes: number, realNodes = 0): Promise<void> {
    if (!this.exists()) {
      this.log(`creating local control plane "${this.opts.name}" (Kubernetes v${this.opts.kubeVersion}) on 127.0.0.1`);
      const cfgDir = join(homedir(), ".cache", "kuar");
      await mkdir(cfgDir, { recursive: true });
      const cfg = join(cfgDir, `kwokctl-${this.opts.name}.yaml`);
      await writeFile(cfg, kwokctlConfig(this.bin, this.opts.kubeVersion));
      // kwokctl's ports can collide with a cluster created at the same moment (kwok-health.ts): recreate.
      for (let attempt = 1; ; attempt++) {
        await this.kwokctl(
          "create",
          "cluster",
          "--config",
          cfg,
          "--kubeconfig",
          join(cfgDir, `kwokctl-${this.opts.name}.kubeconfig`),
          ...extraArgs(this.opts.name).flatMap((a) => ["--extra-args", a]),
          "--wait",
          "2m",
        );
        const dead = await settledComponents(clusterDir(this.opts.name));
        if (!dead.length) break;
        const why = dead.map((d) => `${d.component}: ${d.why}`).join("; ");
        if (attempt >= 3) throw new Error(`local control plane "${this.opts.name}" did not stay up: ${why}`);
        this.log(
          `local control plane "${this.opts.name}": ${why}; deleting it and creating it again (attempt ${attempt + 1} of 3)`,
        );
        await this.kwokctl("delete", "cluster");
      }
    } else {
      this.log(`starting local control plane "${this.opts.name}" (no-op when it already runs)`);
      await this.kwokctl("start", "cluster", "--wait", "2m");
      const dead = await settledComponents(clusterDir(this.opts.name));
      if (dead.length)
        throw new Error(
          `local control plane "${this.opts.name}" did not stay up: ${dead.map((d) => `${d.component}: ${d.why}`).join("; ")}`,
        );
    }
    await this.ensureStorageClass(realNodes);
    await this.scale(nodes);
  }

  /** Applies the default StorageClass; a changed provisioner (immutable) means delete and create. */
  async ensureStorageClass(realNodes: number): Promise<void> {
    const manifest = storageClassManifest(realNodes);
    const want = (JSON.parse(manifest) as { provisioner: string }).provisioner;
    const have = await this.kubectl([
      "get",
      "storageclass",
      STORAGE_CLASS,
      "-o",
      "jsonpath={.provisioner}",
      "--ignore-not-found",
    ]);
    if (have && have !== want) await this.kubectl(["delete", "storageclass", STORAGE_CLASS, "--wait=true"]);
    await this.kubectl(["apply", "--server-side", "--field-manager=kuar-local", "-f", "-"], manifest);
  }

  async scale(nodes: number): Promise<void> {
    this.log(`scaling simulated nodes to ${nodes}`);
    await this.kwokctl(...scaleArgs(nodes));
  }

  async stop(): Promise<void> {
    if (this.exists()) await this.kwokctl("stop", "cluster");
  }

  async delete(): Promise<void> {
    if (this.exists()) {
      this.log(`deleting local control plane "${this.opts.name}"`);
      await this.kwokctl("delete", "cluster");
    }
    // The kwokctl config and kubeconfig ensure() wrote for this cluster.
    for (const ext of ["yaml", "kubeconfig"])
      await rm(join(homedir(), ".cache", "kuar", `kwokctl-${this.opts.name}.${ext}`), { force: true });
  }

  /** A self-contained admin kubeconfig (certificates embedded) with a meaningful context name. */
  async kubeconfig(): Promise<string> {
    const raw = await this.kubectl(["config", "view", "--raw", "--flatten", "--minify"]);
    return raw.replaceAll(`kwok-${this.opts.name}`, `kuar-${this.opts.name}`);
  }

  /** True when the API server answers /readyz. */
  async running(): Promise<boolean> {
    try {
      await this.kubectl(["get", "--raw", "/readyz"]);
      return true;
    } catch {
      return false;
    }
  }
}
