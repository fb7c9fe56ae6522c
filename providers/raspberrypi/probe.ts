/**
 * What a host reports in one read-only round trip, before kuar plans its preparation, and what
 * its k3s node looks like (version, token and config hashes, the uninstall scripts, a server's
 * kubeconfig), so the node step can decide from the same probe (k3s.ts `nodeFromFacts`). The probe
 * waits for the host's kuar lock, so a script a dropped connection left running finishes first.
 */
import { KUBECONFIG_PATH } from "./kubeconfig.js";
import { CONFIG_PATH, INSTALL_SCRIPT_PATH, STAGED_BINARY, SYSCTL_PATH, IMAGES_DIR, TOKEN_PATH } from "./steps.js";
import type { Bundle } from "./bundle.js";
import { parseReport, prelude, scriptCommand, STATE_DIR } from "./script.js";
import type { Session } from "./ssh.js";

export interface HostFacts {
  hostname: string;
  etcHostname: string;
  hosts: string;
  cmdlinePath?: string;
  cmdline?: string;
  /** The cmdline.txt backup kuar made before its first change. */
  cmdlineBackup?: string;
  ipForward: string;
  sysctlConf?: string;
  memoryCgroup: boolean;
  model?: string;
  machine: string;
  bootId: string;
  /** A reboot kuar scheduled in this boot and that has not happened yet. */
  rebootPending: boolean;
  k3sVersion?: string;
  k3sSha256?: string;
  stagedSha256?: string;
  installScriptSha256?: string;
  imagesSha256?: string;
  tokenSha256?: string;
  configSha256?: string;
  /** k3s-uninstall.sh is there (a server install finished). */
  serverInstalled: boolean;
  /** k3s-agent-uninstall.sh is there (an agent install finished). */
  agentInstalled: boolean;
  /** /etc/rancher/k3s/k3s.yaml (servers). Secret. */
  kubeconfig?: string;
}

/** Run as root through scriptCommand; prints `key=<base64 value>` lines. */
export function probeScript(opts: { hashBinary: boolean; imagesFile?: string }): string {
  return [
    prelude({ lock: true }),
    `v hostname "$(hostname)"`,
    `f() { if [ -r "$2" ]; then printf '%s=%s\\n' "$1" "$(base64 < "$2" | tr -d '\\n')"; fi; }`,
    `h() { if [ -r "$2" ]; then v "$1" "$(sha "$2")"; fi; }`,
    "f etcHostname /etc/hostname",
    "f hosts /etc/hosts",
    `for p in /boot/firmware/cmdline.txt /boot/cmdline.txt; do if [ -f "$p" ]; then v cmdlinePath "$p"; f cmdline "$p"; f cmdlineBackup "$p.kuar-bak"; break; fi; done`,
    "f ipForward /proc/sys/net/ipv4/ip_forward",
    `f sysctlConf ${SYSCTL_PATH}`,
    `if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null || awk '$1=="memory" && $4==1 {m=1} END {exit !m}' /proc/cgroups 2>/dev/null; then v memoryCgroup yes; fi`,
    "f model /proc/device-tree/model",
    `v machine "$(uname -m)"`,
    "f bootId /proc/sys/kernel/random/boot_id",
    `if [ -r ${STATE_DIR}/reboot-pending ] && [ "$(cat ${STATE_DIR}/reboot-pending)" = "$(cat /proc/sys/kernel/random/boot_id)" ]; then v rebootPending yes; fi`,
    `if [ -x /usr/local/bin/k3s ]; then v k3sVersion "$(/usr/local/bin/k3s --version 2>/dev/null | head -n1)"; fi`,
    ...(opts.hashBinary
      ? [
          "h k3sSha256 /usr/local/bin/k3s",
          `h stagedSha256 ${STAGED_BINARY}`,
          `h installScriptSha256 ${INSTALL_SCRIPT_PATH}`,
        ]
      : []),
    ...(opts.imagesFile ? [`h imagesSha256 ${IMAGES_DIR}/${opts.imagesFile}`] : []),
    `h tokenSha256 ${TOKEN_PATH}`,
    `h configSha256 ${CONFIG_PATH}`,
    "[ -x /usr/local/bin/k3s-uninstall.sh ] && v serverInstalled yes",
    "[ -x /usr/local/bin/k3s-agent-uninstall.sh ] && v agentInstalled yes",
    `f kubeconfig ${KUBECONFIG_PATH}`,
    "exit 0",
    "",
  ].join("\n");
}

/** The k3s release in `k3s --version` output. */
export function k3sVersionOf(line: string | undefined): string | undefined {
  return line ? /(v\d+\.\d+\.\d+\+k3s\d+)/.exec(line)?.[1] : undefined;
}

export function parseProbe(stdout: string): HostFacts {
  const raw = parseReport(stdout);
  const version = k3sVersionOf(raw["k3sVersion"]);
  const opt = (k: string) => (raw[k] === undefined ? {} : { [k]: raw[k] });
  return {
    hostname: (raw["hostname"] ?? "").trim(),
    etcHostname: (raw["etcHostname"] ?? "").trim(),
    hosts: raw["hosts"] ?? "",
    ...opt("cmdlinePath"),
    ...opt("cmdline"),
    ...opt("cmdlineBackup"),
    ipForward: (raw["ipForward"] ?? "").trim(),
    ...opt("sysctlConf"),
    memoryCgroup: raw["memoryCgroup"] === "yes",
    ...(raw["model"] ? { model: raw["model"].replace(/\0/g, "").trim() } : {}),
    machine: (raw["machine"] ?? "").trim(),
    bootId: (raw["bootId"] ?? "").trim(),
    rebootPending: raw["rebootPending"] === "yes",
    ...(version ? { k3sVersion: version } : {}),
    ...opt("k3sSha256"),
    ...opt("stagedSha256"),
    ...opt("installScriptSha256"),
    ...opt("imagesSha256"),
    ...opt("tokenSha256"),
    ...opt("configSha256"),
    serverInstalled: raw["serverInstalled"] === "yes",
    agentInstalled: raw["agentInstalled"] === "yes",
    ...opt("kubeconfig"),
  } as HostFacts;
}

const ARCH_OF_MACHINE: Record<string, "arm64" | "amd64"> = { aarch64: "arm64", arm64: "arm64", x86_64: "amd64" };
/** One read-only round trip; checks the architecture. */
export async function probe(s: Session, h: { arch: string }, bundle?: Bundle): Promise<HostFacts> {
  const script = probeScript({ hashBinary: !!bundle, ...(bundle?.images ? { imagesFile: bundle.images.name } : {}) });
  const f = parseProbe((await s.run("probe", scriptCommand(script), { stdin: script })).stdout);
  const arch = ARCH_OF_MACHINE[f.machine];
  if (!arch) {
    throw new Error(
      `${s.label}: runs a ${f.machine || "unknown"} kernel; k3s on kuar needs a 64-bit OS. Flash Raspberry Pi OS Lite (64-bit) and try again.`,
    );
  }
  if (arch !== h.arch) {
    throw new Error(
      `${s.label}: is ${arch} (uname -m ${f.machine}) but its arch setting is "${h.arch}". Set it with pulumi config set --path 'kuar:raspberrypi.hosts[<index>].arch' ${arch}.`,
    );
  }
  return f;
}
