/**
 * What a host reports in one read-only round trip, before kuar plans its preparation. The probe
 * waits for the host's kuar lock, so a script a dropped connection left running finishes first.
 */
import { INSTALL_SCRIPT_PATH, STAGED_BINARY, SYSCTL_PATH, IMAGES_DIR } from "./steps.js";
import { parseReport, prelude, STATE_DIR } from "./script.js";

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
  } as HostFacts;
}
