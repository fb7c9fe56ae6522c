/**
 * The kuar:RaspberryPiNode dynamic provider (loaded by common/dynamic.ts at run time): one
 * resource per Pi. `diff` compares inputs only, so an unchanged stack never opens a connection;
 * `create`/`update` probe the host in one round trip and run only the steps plan.ts says are
 * missing; `delete` drains the node through the first server and runs the k3s uninstall script.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createReadStream, existsSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  diffNode,
  planK3s,
  planPrep,
  parseProbe,
  probeScript,
  type Bundle,
  type HostFacts,
  type NodeInputs,
  type Step,
} from "./plan.js";
import { Remote, UnreachableError, sleep, tuning } from "./ssh.js";

export interface NodeOutputs extends NodeInputs {
  /** k3s.yaml as the server wrote it (servers only; empty on agents). Secret. */
  kubeconfig: string;
  installedVersion: string;
  /** `uname -m` of the host. */
  machine: string;
}

const ARCH_OF_MACHINE: Record<string, "arm64" | "amd64"> = { aarch64: "arm64", arm64: "arm64", x86_64: "amd64" };
const BINARIES: Record<string, string[]> = { arm64: ["k3s-arm64", "k3s"], amd64: ["k3s"] };

async function probe(r: Remote, n: NodeInputs, bundle?: BundleFiles): Promise<HostFacts> {
  const script = probeScript({
    hashBinary: !!bundle,
    ...(bundle?.imagesName ? { imagesFile: bundle.imagesName } : {}),
  });
  const out = await r.run("probe", "sudo -n sh -s", { stdin: script });
  const f = parseProbe(out.stdout);
  const arch = ARCH_OF_MACHINE[f.machine];
  if (!arch) {
    throw new Error(
      `${r.label}: runs a ${f.machine || "unknown"} kernel; k3s on kuar needs a 64-bit OS. Flash Raspberry Pi OS Lite (64-bit) and try again.`,
    );
  }
  if (arch !== n.arch) {
    throw new Error(
      `${r.label}: is ${arch} (uname -m ${f.machine}) but its arch setting is "${n.arch}". Set arch: "${arch}" for this host.`,
    );
  }
  return f;
}

interface BundleFiles {
  dir: string;
  imagesName?: string;
}

/** Finds what an air-gap bundle holds for an architecture (checked again by `check`). */
function bundleFiles(
  dir: string,
  arch: string,
): BundleFiles & { binary?: string; installScript?: string; images?: string } {
  const binary = BINARIES[arch]!.map((b) => join(dir, b)).find(existsSync);
  const images = ["tar.zst", "tar.gz", "tar"]
    .map((ext) => `k3s-airgap-images-${arch}.${ext}`)
    .find((f) => existsSync(join(dir, f)));
  const installScript = existsSync(join(dir, "install.sh")) ? join(dir, "install.sh") : undefined;
  return {
    dir,
    ...(binary ? { binary } : {}),
    ...(installScript ? { installScript } : {}),
    ...(images ? { images: join(dir, images), imagesName: images } : {}),
  };
}

const hashes = new Map<string, string>();
async function fileSha256(path: string): Promise<string> {
  const st = statSync(path);
  const key = `${path}:${st.size}:${st.mtimeMs}`;
  const known = hashes.get(key);
  if (known) return known;
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  const hex = h.digest("hex");
  hashes.set(key, hex);
  return hex;
}

async function loadBundle(n: NodeInputs): Promise<{ files?: BundleFiles; bundle?: Bundle }> {
  if (!n.airgapBundleDir) return {};
  const files = bundleFiles(n.airgapBundleDir, n.arch);
  if (!files.binary || !files.installScript) {
    throw new Error(bundleProblem(n.airgapBundleDir, n.arch) ?? "air-gap bundle incomplete");
  }
  const bundle: Bundle = {
    installScript: files.installScript,
    binary: files.binary,
    binarySha256: await fileSha256(files.binary),
    ...(files.images
      ? { images: { file: files.images, name: files.imagesName!, sha256: await fileSha256(files.images) } }
      : {}),
  };
  return { files, bundle };
}

function bundleProblem(dir: string, arch: string): string | undefined {
  const f = bundleFiles(dir, arch);
  if (f.binary && f.installScript) return undefined;
  return (
    `the air-gap bundle ${dir} lacks ${[!f.installScript && "install.sh", !f.binary && BINARIES[arch]!.join(" or ")].filter(Boolean).join(" and ")} for ${arch}. ` +
    `Download them from https://github.com/k3s-io/k3s/releases (and https://get.k3s.io as install.sh) into that directory.`
  );
}

async function execute(r: Remote, steps: Step[]): Promise<void> {
  for (const s of steps) {
    r.log(s.step, s.why);
    if (s.kind === "write") await r.writeRoot(s.step, s.path, s.mode, s.content);
    else if (s.kind === "upload") await r.writeRoot(s.step, s.path, s.mode, { localFile: s.localFile });
    else await r.run(s.step, s.command, { mutating: true, ...(s.stdin !== undefined ? { stdin: s.stdin } : {}) });
  }
}

async function waitReady(r: Remote, nodeName: string): Promise<void> {
  const deadline = Date.now() + tuning.readyTimeoutMs;
  const cmd = `sudo -n k3s kubectl get node ${nodeName} -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'`;
  for (;;) {
    const res = await r.run("ready", cmd, { allowFailure: true });
    if (res.code === 0 && res.stdout.trim() === "True") return;
    if (Date.now() > deadline) {
      throw new Error(
        `${r.label}: node ${nodeName} is not Ready ${Math.round(tuning.readyTimeoutMs / 1000)} s after installing k3s (${res.stderr.trim() || res.stdout.trim() || "no status"}). ` +
          `Check sudo journalctl -u k3s on the Pi.`,
      );
    }
    await sleep(tuning.readyPollMs);
  }
}

/** Brings one host to the wanted state; every step is skipped when the probe shows it done. */
export async function applyNode(n: NodeInputs): Promise<NodeOutputs> {
  const r = new Remote(n.host, n.nodeName);
  try {
    await r.connect();
    const { files, bundle } = await loadBundle(n);
    let facts = await probe(r, n, files);
    const prep = planPrep(facts, n);
    if (!facts.cmdlinePath)
      r.log(
        "cmdline",
        "no cmdline.txt in /boot/firmware or /boot; not a Raspberry Pi OS boot partition, leaving the kernel command line alone",
      );
    await execute(r, prep.steps);
    if (prep.reboot) {
      await r.reboot(prep.why ?? "cgroup flags");
      facts = await probe(r, n, files);
      if (!facts.memoryCgroup) {
        throw new Error(
          `${r.label}: the memory cgroup is still not active after a reboot with ${facts.cmdlinePath} = "${facts.cmdline?.trim()}". Check that the file is the one the Pi boots from.`,
        );
      }
    }
    const k3s = planK3s(facts, n, bundle);
    await execute(r, k3s);
    if (k3s.length > 0) {
      if (n.role === "server") await waitReady(r, n.nodeName);
      facts = await probe(r, n, files);
    }
    if (facts.k3sVersion !== n.k3sVersion) {
      throw new Error(
        `${r.label}: k3s reports ${facts.k3sVersion ?? "no version"} after installing, but k3sVersion is ${n.k3sVersion}.` +
          (n.airgapBundleDir
            ? ` The binary in ${n.airgapBundleDir} is another release; put the ${n.k3sVersion} binary there.`
            : ""),
      );
    }
    if (n.role === "server" && !facts.kubeconfig)
      throw new Error(
        `${r.label}: k3s is installed but /etc/rancher/k3s/k3s.yaml is missing. Check sudo journalctl -u k3s.`,
      );
    if (prep.steps.length + k3s.length === 0) r.log("done", "already converged; nothing changed");
    return {
      ...n,
      kubeconfig: n.role === "server" ? (facts.kubeconfig ?? "") : "",
      installedVersion: facts.k3sVersion ?? "",
      machine: facts.machine,
    };
  } finally {
    r.close();
  }
}

/**
 * Refresh: what is really on the host, read-only. A host whose k3s is gone reads as gone, so the
 * next `up` installs it again; a host running another k3s release reports that release, so the
 * next `up` sees the difference and brings it back to the wanted one.
 */
export async function readNode(id: string, props: NodeOutputs): Promise<{ id: string; props: Partial<NodeOutputs> }> {
  const r = new Remote(props.host, props.nodeName);
  try {
    await r.connect();
    const facts = await probe(r, props);
    const uninstaller = props.role === "server" ? facts.serverUninstall : facts.agentUninstall;
    if (!uninstaller || !facts.k3sVersion) {
      r.log("read", `k3s ${props.role} is not installed; the next up installs it`);
      return { id: "", props: {} };
    }
    if (facts.k3sVersion !== props.k3sVersion) r.log("read", `runs k3s ${facts.k3sVersion}, not ${props.k3sVersion}`);
    return {
      id,
      props: {
        ...props,
        k3sVersion: facts.k3sVersion,
        installedVersion: facts.k3sVersion,
        machine: facts.machine,
        kubeconfig: props.role === "server" ? (facts.kubeconfig ?? "") : "",
      },
    };
  } finally {
    r.close();
  }
}

/** Drains the node through the first server, then uninstalls k3s from the host. */
export async function removeNode(n: NodeInputs): Promise<void> {
  if (n.drainVia && n.drainVia.nodeName !== n.nodeName) {
    const s = new Remote(n.drainVia.host, n.drainVia.nodeName);
    try {
      await s.connect(2);
      s.log("drain", `draining ${n.nodeName}`);
      const drain = await s.run(
        "drain",
        `sudo -n k3s kubectl drain ${n.nodeName} --ignore-daemonsets --delete-emptydir-data --force --timeout=120s`,
        { mutating: true, allowFailure: true },
      );
      if (drain.code !== 0 && !/not ?found/i.test(drain.stderr))
        s.log("drain", `drain did not finish (${drain.stderr.trim().split("\n").pop()}); removing the node anyway`);
      await s.run("drain", `sudo -n k3s kubectl delete node ${n.nodeName} --ignore-not-found`, {
        mutating: true,
        allowFailure: true,
      });
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw e;
      s.log(
        "drain",
        `could not reach the server to drain ${n.nodeName}; its Node object stays until you run kubectl delete node ${n.nodeName}`,
      );
    } finally {
      s.close();
    }
  }
  const r = new Remote(n.host, n.nodeName);
  try {
    await r.connect();
  } catch (e) {
    if (e instanceof UnreachableError) {
      throw new UnreachableError(
        `${e.message} If this Pi is gone for good, drop it from the stack state instead: pulumi state delete <urn of its kuar:RaspberryPiNode ${n.nodeName}>.`,
      );
    }
    throw e;
  }
  try {
    const present = await r.run(
      "uninstall",
      "ls /usr/local/bin/k3s-agent-uninstall.sh /usr/local/bin/k3s-uninstall.sh 2>/dev/null",
      { allowFailure: true },
    );
    const scripts = present.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    if (scripts.length === 0) {
      r.log("uninstall", "k3s is not installed; nothing to do");
      return;
    }
    for (const script of scripts) {
      r.log("uninstall", script);
      await r.run("uninstall", `sudo -n ${script}`, { mutating: true });
    }
  } finally {
    r.close();
  }
}

/** Catches what can be known before touching a host: key files and the bundle's contents. */
export function checkNode(n: NodeInputs): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  if (n.airgapBundleDir) {
    const p = existsSync(n.airgapBundleDir)
      ? bundleProblem(n.airgapBundleDir, n.arch)
      : `the air-gap bundle directory ${n.airgapBundleDir} does not exist on this machine.`;
    if (p) failures.push({ property: "airgapBundleDir", reason: `${n.nodeName}: ${p}` });
  }
  return failures;
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: NodeInputs, news: NodeInputs) {
    return { inputs: news, failures: checkNode(news) };
  },
  async diff(_id: string, olds: NodeOutputs, news: NodeInputs) {
    const { changes, replaces, deleteBeforeReplace } = diffNode(
      olds as unknown as Record<string, unknown>,
      news as unknown as Record<string, unknown>,
    );
    return { changes, replaces, deleteBeforeReplace };
  },
  async create(inputs: NodeInputs) {
    const outs = await applyNode(inputs);
    return { id: inputs.nodeName, outs };
  },
  async update(_id: string, _olds: NodeOutputs, news: NodeInputs) {
    return { outs: await applyNode(news) };
  },
  async read(id: string, props: NodeOutputs) {
    return readNode(id, props);
  },
  async delete(_id: string, props: NodeOutputs) {
    await removeNode(props);
  },
};
