/**
 * Pure logic of the Raspberry Pi target: which node gets which k3s role and configuration, what a
 * host must change to be ready (cmdline.txt, /etc/hosts, hostname, ip_forward), and in which order.
 * Nothing here talks to a host; provider.ts executes the steps and tests call these directly.
 */
import { posix } from "node:path";
import { createHash } from "node:crypto";
import { parse, stringify } from "yaml";
import { nodeNameOf, parseHostKey, type RaspberryPiSettings } from "./schema.js";

/** How to reach one host over SSH. */
export interface SshTarget {
  address: string;
  port: number;
  user: string;
  privateKeyPath?: string;
  agent: boolean;
  /** Pinned `ssh-ed25519 AAAA...` line; absent only when allowTofu. */
  hostKey?: string;
  allowTofu: boolean;
}

/** Inputs of one kuar:RaspberryPiNode resource, without the token (added as a secret). */
export interface NodeSpec {
  kind: "kuar:RaspberryPiNode";
  host: SshTarget;
  nodeName: string;
  role: "server" | "agent";
  arch: "arm64" | "amd64";
  labels: Record<string, string>;
  k3sVersion: string;
  /** Absolute path of the air-gap bundle on the machine running Pulumi. */
  airgapBundleDir?: string;
  /** First server of an HA cluster: starts embedded etcd. */
  clusterInit: boolean;
  /** `https://<first server>:6443` for every node but the first server. */
  serverUrl?: string;
  tlsSans: string[];
  /** The first server, through which this node is drained when removed. */
  drainVia?: { host: SshTarget; nodeName: string };
}

export interface NodeInputs extends NodeSpec {
  /** The k3s cluster token. Secret. */
  token: string;
}

export const TOKEN_PATH = "/etc/rancher/k3s/token";
export const CONFIG_PATH = "/etc/rancher/k3s/config.yaml";
export const KUBECONFIG_PATH = "/etc/rancher/k3s/k3s.yaml";
export const INSTALL_SCRIPT_PATH = "/usr/local/share/kuar/k3s-install.sh";
export const SYSCTL_PATH = "/etc/sysctl.d/90-kuar-k3s.conf";
export const SYSCTL_CONTENT = "# Managed by kuar: k3s routes pod traffic.\nnet.ipv4.ip_forward = 1\n";
export const IMAGES_DIR = "/var/lib/rancher/k3s/agent/images";
export const CGROUP_FLAGS = ["cgroup_memory=1", "cgroup_enable=memory"] as const;

/**
 * One resource per host, in the order the engine must run them: servers in inventory order (the
 * first initialises the cluster, the others join one at a time), then agents (in parallel).
 */
export function nodeSpecs(s: RaspberryPiSettings, bundleDir?: string): NodeSpec[] {
  const servers = s.hosts.filter((h) => h.role === "server");
  const agents = s.hosts.filter((h) => h.role === "agent");
  const first = servers[0]!;
  const ha = servers.length > 1;
  const target = (h: (typeof s.hosts)[number]): SshTarget => ({
    address: h.address,
    port: h.port,
    user: h.user,
    ...(h.privateKeyPath ? { privateKeyPath: h.privateKeyPath } : {}),
    agent: h.agent,
    ...(h.hostKey ? { hostKey: normalizeHostKey(h.hostKey) } : {}),
    allowTofu: s.allowTofu,
  });
  const firstName = nodeNameOf(first);
  return [...servers, ...agents].map((h) => {
    const isFirst = h === first;
    return {
      kind: "kuar:RaspberryPiNode",
      host: target(h),
      nodeName: nodeNameOf(h),
      role: h.role,
      arch: h.arch,
      labels: h.labels,
      k3sVersion: s.k3sVersion,
      ...(bundleDir ? { airgapBundleDir: bundleDir } : {}),
      clusterInit: ha && isFirst,
      ...(isFirst ? {} : { serverUrl: `https://${first.address}:6443` }),
      // Every server's certificate names every server, so any of them can front the API.
      tlsSans:
        h.role === "server"
          ? unique([...servers.map((x) => x.address), ...s.tlsSans, ...endpointHost(s.apiServerEndpoint)])
          : [],
      ...(isFirst ? {} : { drainVia: { host: target(first), nodeName: firstName } }),
    };
  });
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** `ssh-ed25519 AAAA...`, dropping an ssh-keyscan host prefix or a comment. */
export function normalizeHostKey(line: string): string {
  const k = parseHostKey(line);
  return k ? `${k.type} ${k.base64}` : line.trim();
}

/** k3s's config.yaml for a node. Holds no secret: the token lives in its own file. */
export function renderK3sConfig(n: NodeSpec): string {
  const cfg: Record<string, unknown> = { "node-name": n.nodeName, "token-file": TOKEN_PATH };
  if (n.role === "server") cfg["write-kubeconfig-mode"] = "0600";
  if (n.clusterInit) cfg["cluster-init"] = true;
  if (n.serverUrl) cfg["server"] = n.serverUrl;
  if (n.tlsSans.length) cfg["tls-san"] = n.tlsSans;
  const labels = Object.entries(n.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  if (labels.length) cfg["node-label"] = labels;
  return `# Managed by kuar (providers/raspberrypi); changes here are overwritten.\n${stringify(cfg)}`;
}

/**
 * cmdline.txt is one line of space-separated flags. Appends the missing cgroup flags and keeps
 * everything else byte for byte, so an unchanged file is never rewritten (and never reboots).
 */
export function mergeCmdline(
  content: string,
  flags: readonly string[] = CGROUP_FLAGS,
): { content: string; changed: boolean } {
  const line = content.replace(/\r?\n[\s\S]*$/, "").trimEnd();
  const present = new Set(line.split(/\s+/).filter(Boolean));
  const missing = flags.filter((f) => !present.has(f));
  if (missing.length === 0) return { content, changed: false };
  return { content: `${[line, ...missing].filter(Boolean).join(" ")}\n`, changed: true };
}

/** Points the `127.0.1.1` line at the node's name (Raspberry Pi OS ships `127.0.1.1 raspberrypi`). */
export function fixEtcHosts(content: string, name: string): { content: string; changed: boolean } {
  const want = `127.0.1.1\t${name}`;
  const lines = content.split("\n");
  const at = lines.findIndex((l) => /^\s*127\.0\.1\.1\s/.test(l));
  if (at >= 0) {
    if (lines[at] === want) return { content, changed: false };
    lines[at] = want;
    return { content: lines.join("\n"), changed: true };
  }
  const base = content === "" || content.endsWith("\n") ? content : `${content}\n`;
  return { content: `${base}${want}\n`, changed: true };
}

/** What a host reports in one round trip (see probeScript). */
export interface HostFacts {
  hostname: string;
  etcHostname: string;
  hosts: string;
  cmdlinePath?: string;
  cmdline?: string;
  ipForward: string;
  sysctlConf?: string;
  memoryCgroup: boolean;
  model?: string;
  machine: string;
  bootId: string;
  k3sVersion?: string;
  k3sSha256?: string;
  imagesSha256?: string;
  configSha256?: string;
  tokenSha256?: string;
  serverUninstall: boolean;
  agentUninstall: boolean;
  kubeconfig?: string;
}

/**
 * A read-only shell script (run as root through `sudo -n sh -s`, so nothing lands on a command
 * line) printing `key=<base64 value>` lines. Hashing the k3s binary costs a read of ~70 MB, so it
 * happens only when an air-gap bundle is compared against it.
 */
export function probeScript(opts: { hashBinary: boolean; imagesFile?: string }): string {
  return [
    "set -u",
    `v() { printf '%s=%s\\n' "$1" "$(printf '%s' "$2" | base64 | tr -d '\\n')"; }`,
    `f() { if [ -r "$2" ]; then printf '%s=%s\\n' "$1" "$(base64 < "$2" | tr -d '\\n')"; fi; }`,
    `h() { if [ -r "$2" ]; then v "$1" "$(sha256sum < "$2" | cut -d' ' -f1)"; fi; }`,
    `v hostname "$(hostname)"`,
    "f etcHostname /etc/hostname",
    "f hosts /etc/hosts",
    `for p in /boot/firmware/cmdline.txt /boot/cmdline.txt; do if [ -f "$p" ]; then v cmdlinePath "$p"; f cmdline "$p"; break; fi; done`,
    "f ipForward /proc/sys/net/ipv4/ip_forward",
    `f sysctlConf ${SYSCTL_PATH}`,
    `if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null || awk '$1=="memory" && $4==1 {m=1} END {exit !m}' /proc/cgroups 2>/dev/null; then v memoryCgroup yes; fi`,
    "f model /proc/device-tree/model",
    `v machine "$(uname -m)"`,
    "f bootId /proc/sys/kernel/random/boot_id",
    `if [ -x /usr/local/bin/k3s ]; then v k3sVersion "$(/usr/local/bin/k3s --version 2>/dev/null | head -n1)"; fi`,
    ...(opts.hashBinary ? ["h k3sSha256 /usr/local/bin/k3s"] : []),
    ...(opts.imagesFile ? [`h imagesSha256 ${IMAGES_DIR}/${opts.imagesFile}`] : []),
    `h configSha256 ${CONFIG_PATH}`,
    `h tokenSha256 ${TOKEN_PATH}`,
    "if [ -x /usr/local/bin/k3s-uninstall.sh ]; then v serverUninstall yes; fi",
    "if [ -x /usr/local/bin/k3s-agent-uninstall.sh ]; then v agentUninstall yes; fi",
    `f kubeconfig ${KUBECONFIG_PATH}`,
    "exit 0",
    "",
  ].join("\n");
}

export function parseProbe(stdout: string): HostFacts {
  const raw: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^([A-Za-z0-9]+)=(.*)$/.exec(line.trim());
    if (m) raw[m[1]!] = Buffer.from(m[2]!, "base64").toString("utf8");
  }
  const version = raw["k3sVersion"] ? /(v\d+\.\d+\.\d+\+k3s\d+)/.exec(raw["k3sVersion"])?.[1] : undefined;
  const opt = (k: string) => (raw[k] === undefined ? {} : { [k]: raw[k] });
  return {
    hostname: (raw["hostname"] ?? "").trim(),
    etcHostname: (raw["etcHostname"] ?? "").trim(),
    hosts: raw["hosts"] ?? "",
    ...opt("cmdlinePath"),
    ...opt("cmdline"),
    ipForward: (raw["ipForward"] ?? "").trim(),
    ...opt("sysctlConf"),
    memoryCgroup: raw["memoryCgroup"] === "yes",
    ...(raw["model"] ? { model: raw["model"].replace(/\0/g, "").trim() } : {}),
    machine: (raw["machine"] ?? "").trim(),
    bootId: (raw["bootId"] ?? "").trim(),
    ...(version ? { k3sVersion: version } : {}),
    ...opt("k3sSha256"),
    ...opt("imagesSha256"),
    ...opt("configSha256"),
    ...opt("tokenSha256"),
    serverUninstall: raw["serverUninstall"] === "yes",
    agentUninstall: raw["agentUninstall"] === "yes",
    ...opt("kubeconfig"),
  } as HostFacts;
}

/** A change to make on a host. Content of `write` steps travels on stdin, never on a command line. */
export type Step =
  | { kind: "write"; step: string; path: string; mode: string; content: string; secret?: boolean; why: string }
  | { kind: "upload"; step: string; path: string; mode: string; localFile: string; why: string }
  | { kind: "run"; step: string; command: string; stdin?: string; why: string };

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Host preparation: /etc/hosts before the hostname (so sudo can resolve it), cgroups, forwarding. */
export function planPrep(f: HostFacts, n: NodeSpec): { steps: Step[]; reboot: boolean; why?: string } {
  const steps: Step[] = [];
  const hosts = fixEtcHosts(f.hosts, n.nodeName);
  if (hosts.changed) {
    steps.push({
      kind: "write",
      step: "hosts",
      path: "/etc/hosts",
      mode: "644",
      content: hosts.content,
      why: `127.0.1.1 -> ${n.nodeName}`,
    });
  }
  if (f.hostname !== n.nodeName || f.etcHostname !== n.nodeName) {
    // nodeName is a DNS label (schema), so it needs no quoting. hostnamectl needs
    // systemd-hostnamed; the fallback does by hand what it does.
    const name = n.nodeName;
    steps.push({
      kind: "run",
      step: "hostname",
      command: `sudo -n sh -c 'hostnamectl set-hostname ${name} 2>/dev/null || { echo ${name} > /etc/hostname && hostname ${name}; }'`,
      why: `${f.hostname || "?"} -> ${n.nodeName}`,
    });
  }
  let reboot = false;
  let why: string | undefined;
  if (f.cmdlinePath && f.cmdline !== undefined) {
    const merged = mergeCmdline(f.cmdline);
    if (merged.changed) {
      steps.push({
        kind: "run",
        step: "cmdline",
        // Written beside and renamed, keeping one backup: a torn cmdline.txt leaves a Pi unbootable.
        command: `sudo -n sh -c 'cat > "$1.kuar-new" && cp -p "$1" "$1.kuar-bak" && mv "$1.kuar-new" "$1"' sh ${shellQuote(f.cmdlinePath)}`,
        stdin: merged.content,
        why: `add ${CGROUP_FLAGS.join(" ")}`,
      });
      reboot = true;
      why = "cmdline.txt changed";
    } else if (!f.memoryCgroup) {
      // The flags are there but not active: a previous run wrote them and the reboot never happened.
      reboot = true;
      why = "cgroup flags present but the memory controller is not active yet";
    }
  }
  if (f.sysctlConf !== SYSCTL_CONTENT) {
    steps.push({
      kind: "write",
      step: "sysctl",
      path: SYSCTL_PATH,
      mode: "644",
      content: SYSCTL_CONTENT,
      why: "persist net.ipv4.ip_forward=1",
    });
  }
  if (f.ipForward !== "1") {
    steps.push({
      kind: "run",
      step: "sysctl",
      command: "sudo -n sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'",
      why: "net.ipv4.ip_forward=1 now",
    });
  }
  return { steps, reboot, ...(why ? { why } : {}) };
}

/** What an air-gap bundle directory offers for one host. */
export interface Bundle {
  installScript: string;
  binary: string;
  binarySha256: string;
  images?: { file: string; name: string; sha256: string };
}

/**
 * k3s: token and config files, the binary (air-gap), the install script. The install runs only
 * when the version, binary, role or configuration differ; a config-only change restarts k3s.
 */
export function planK3s(f: HostFacts, n: NodeInputs, bundle?: Bundle): Step[] {
  const steps: Step[] = [];
  const config = renderK3sConfig(n);
  const tokenChanged = f.tokenSha256 !== sha256(n.token);
  const configChanged = f.configSha256 !== sha256(config);
  if (tokenChanged) {
    steps.push({
      kind: "write",
      step: "token",
      path: TOKEN_PATH,
      mode: "600",
      content: n.token,
      secret: true,
      why: "cluster token (mode 600)",
    });
  }
  if (configChanged) {
    steps.push({
      kind: "write",
      step: "config",
      path: CONFIG_PATH,
      mode: "600",
      content: config,
      why: "k3s config.yaml",
    });
  }
  const binaryChanged = bundle ? f.k3sSha256 !== bundle.binarySha256 : false;
  if (bundle && binaryChanged) {
    steps.push({
      kind: "upload",
      step: "binary",
      path: "/usr/local/bin/k3s",
      mode: "755",
      localFile: bundle.binary,
      why: `k3s ${n.k3sVersion} from the air-gap bundle`,
    });
  }
  if (bundle?.images && f.imagesSha256 !== bundle.images.sha256) {
    steps.push({
      kind: "upload",
      step: "images",
      path: posix.join(IMAGES_DIR, bundle.images.name),
      mode: "644",
      localFile: bundle.images.file,
      why: "air-gap images",
    });
  }
  const installed = n.role === "server" ? f.serverUninstall : f.agentUninstall;
  const needInstall = !installed || f.k3sVersion !== n.k3sVersion || binaryChanged;
  if (needInstall || tokenChanged || configChanged) {
    const env = [
      ...(bundle ? ["INSTALL_K3S_SKIP_DOWNLOAD=true"] : []),
      `INSTALL_K3S_VERSION=${n.k3sVersion}`,
      `INSTALL_K3S_EXEC=${n.role}`,
      ...(n.role === "agent" && n.serverUrl ? [`K3S_URL=${n.serverUrl}`, `K3S_TOKEN_FILE=${TOKEN_PATH}`] : []),
      // The install script skips the restart when only config.yaml or the token changed.
      ...(!needInstall ? ["INSTALL_K3S_FORCE_RESTART=true"] : []),
    ];
    if (bundle) {
      steps.push({
        kind: "upload",
        step: "install-script",
        path: INSTALL_SCRIPT_PATH,
        mode: "755",
        localFile: bundle.installScript,
        why: "install.sh from the air-gap bundle",
      });
    } else {
      const url = `https://raw.githubusercontent.com/k3s-io/k3s/${n.k3sVersion}/install.sh`;
      steps.push({
        kind: "run",
        step: "install-script",
        command: `sudo -n sh -c 'mkdir -p ${posix.dirname(INSTALL_SCRIPT_PATH)} && curl -sfL --retry 3 -o ${INSTALL_SCRIPT_PATH} ${url}'`,
        why: `install.sh of ${n.k3sVersion}`,
      });
    }
    steps.push({
      kind: "run",
      step: "install",
      command: `sudo -n env ${env.join(" ")} sh ${INSTALL_SCRIPT_PATH}`,
      why: needInstall
        ? `k3s ${f.k3sVersion ?? "absent"} -> ${n.k3sVersion} (${n.role})`
        : "restart with the new configuration",
    });
  }
  return steps;
}

/** Fields whose change replaces the node (uninstall, then install), rather than updating it. */
export const REPLACE_KEYS = ["nodeName", "role"] as const;
const OUTPUT_KEYS = new Set(["kubeconfig", "installedVersion", "machine"]);

/** A dynamic-provider diff that never touches a host: equal inputs mean no change at all. */
export function diffNode(olds: Record<string, unknown>, news: Record<string, unknown>) {
  const keys = new Set(
    [...Object.keys(olds), ...Object.keys(news)].filter((k) => !OUTPUT_KEYS.has(k) && k !== "__provider"),
  );
  const changed = [...keys].filter((k) => canonical(olds[k]) !== canonical(news[k])).sort();
  const replaces = changed.filter((k) => (REPLACE_KEYS as readonly string[]).includes(k));
  return { changes: changed.length > 0, replaces, changed, deleteBeforeReplace: true };
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}

/**
 * k3s writes a kubeconfig for `https://127.0.0.1:6443` named `default`. Points it at the first
 * server and names cluster, user and context after the kuar cluster.
 */
/** The host of an `apiServerEndpoint` URL, as a one-element list (empty when unset). */
export function endpointHost(endpoint: string | undefined): string[] {
  return endpoint ? [new URL(endpoint).hostname] : [];
}

/**
 * Points the kubeconfig at `endpoint` (an https URL) when given, else at the first server's
 * address with the port k3s wrote (6443), and names cluster, user and context `name`.
 */
export function rewriteKubeconfig(raw: string, serverAddress: string, name: string, endpoint?: string): string {
  const doc = parse(raw) as {
    clusters?: { name: string; cluster: { server: string } }[];
    users?: { name: string }[];
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    "current-context"?: string;
  };
  if (!doc?.clusters?.length || !doc.contexts?.length) {
    throw new Error(`the kubeconfig read from ${serverAddress}:${KUBECONFIG_PATH} has no cluster or context`);
  }
  for (const c of doc.clusters) {
    c.name = name;
    c.cluster.server = endpoint
      ? endpoint.replace(/\/$/, "")
      : c.cluster.server.replace(
          /\/\/[^/:]+(:\d+)?/,
          (_m, port: string | undefined) => `//${serverAddress}${port ?? ":6443"}`,
        );
  }
  for (const u of doc.users ?? []) u.name = name;
  for (const c of doc.contexts) {
    c.name = name;
    c.context.cluster = name;
    c.context.user = name;
  }
  doc["current-context"] = name;
  return stringify(doc);
}

/** Single-quotes a word for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
