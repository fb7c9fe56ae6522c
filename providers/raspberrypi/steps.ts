/**
 * Host preparation, planned from a probe: what a host must change to be ready for k3s
 * (/etc/hosts, hostname, cmdline.txt, ip_forward, the staged air-gap files) as one script with its
 * files on stdin, and whether it must reboot. Pure; host.provider.ts sends the script.
 */
import { posix } from "node:path";
import type { Bundle } from "./bundle.js";
import type { HostSpec } from "./inventory.js";
import type { HostFacts } from "./probe.js";
import { contentFile, prelude, shellQuote, STATE_DIR, tmpBeside, type PayloadFile } from "./script.js";

export const TOKEN_PATH = "/etc/rancher/k3s/token";
export const CONFIG_PATH = "/etc/rancher/k3s/config.yaml";
export const INSTALL_SCRIPT_PATH = "/usr/local/share/kuar/k3s-install.sh";
/** Where the host step stages the air-gap binary; the node step moves it into /usr/local/bin. */
export const STAGED_BINARY = "/usr/local/share/kuar/k3s";
export const SYSCTL_PATH = "/etc/sysctl.d/90-kuar-k3s.conf";
export const SYSCTL_CONTENT = "# Managed by kuar: k3s routes pod traffic.\nnet.ipv4.ip_forward = 1\n";
export const IMAGES_DIR = "/var/lib/rancher/k3s/agent/images";
export const CGROUP_FLAGS = ["cgroup_memory=1", "cgroup_enable=memory"] as const;

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

/** One change, for the log. */
export interface Action {
  step: string;
  why: string;
}

export interface PrepPlan {
  actions: Action[];
  /** Empty when there is nothing to change. */
  script: string;
  files: PayloadFile[];
  /** The host must boot again (scheduled by the script, or already pending). */
  reboot: boolean;
  why?: string;
}

/**
 * Host preparation as one script: /etc/hosts before the hostname (so sudo can resolve it), the
 * cgroup flags (backing up the stock cmdline.txt once, never over an earlier backup), forwarding,
 * the air-gap files, and the reboot. Planned from a fresh probe every time, so a plan interrupted
 * by a dropped connection is re-planned from what really happened.
 */
export function planPrep(f: HostFacts, h: HostSpec, bundle?: Bundle): PrepPlan {
  const actions: Action[] = [];
  const files: PayloadFile[] = [];
  const body: string[] = [];
  const put = (step: string, why: string, path: string, mode: string, file: PayloadFile) => {
    actions.push({ step, why });
    files.push(file);
    body.push(`place ${shellQuote(file.tmp)} ${shellQuote(path)} ${mode}`);
  };
  const name = shellQuote(h.nodeName);

  const hosts = fixEtcHosts(f.hosts, h.nodeName);
  if (hosts.changed)
    put(
      "hosts",
      `127.0.1.1 -> ${h.nodeName}`,
      "/etc/hosts",
      "644",
      contentFile(tmpBeside("/etc/hosts"), hosts.content),
    );
  if (f.hostname !== h.nodeName || f.etcHostname !== h.nodeName) {
    actions.push({ step: "hostname", why: `${f.hostname || "?"} -> ${h.nodeName}` });
    // hostnamectl needs systemd-hostnamed; the fallback does by hand what it does.
    const tmp = shellQuote(tmpBeside("/etc/hostname"));
    body.push(
      `hostnamectl set-hostname ${name} 2>/dev/null || { TMPS="$TMPS ${tmp}"; printf '%s\\n' ${name} > ${tmp} && place ${tmp} /etc/hostname 644 && hostname ${name}; } || fail "cannot set the hostname"`,
    );
  }
  let reboot = false;
  let why: string | undefined;
  if (f.cmdlinePath && f.cmdline !== undefined) {
    const merged = mergeCmdline(f.cmdline);
    const p = shellQuote(f.cmdlinePath);
    if (merged.changed) {
      const file = contentFile(tmpBeside(f.cmdlinePath), merged.content);
      actions.push({ step: "cmdline", why: `add ${CGROUP_FLAGS.join(" ")}` });
      files.push(file);
      // The boot partition is FAT: no modes to set. A torn cmdline.txt leaves a Pi unbootable, so
      // the new line is renamed over it; the first backup (the stock line) is never overwritten.
      body.push(
        `[ -e ${p}.kuar-bak ] || cp -p ${p} ${p}.kuar-bak || fail "cannot back up ${f.cmdlinePath}"`,
        `mv -f ${shellQuote(file.tmp)} ${p} || fail "cannot replace ${f.cmdlinePath}"`,
      );
      reboot = true;
      why = "cmdline.txt changed";
    } else if (!f.memoryCgroup) {
      // The flags are there but not active: a previous run wrote them and the reboot never happened.
      reboot = true;
      why = "cgroup flags present but the memory controller is not active yet";
    }
  }
  if (f.sysctlConf !== SYSCTL_CONTENT)
    put(
      "sysctl",
      "persist net.ipv4.ip_forward=1",
      SYSCTL_PATH,
      "644",
      contentFile(tmpBeside(SYSCTL_PATH), SYSCTL_CONTENT),
    );
  if (f.ipForward !== "1") {
    actions.push({ step: "sysctl", why: "net.ipv4.ip_forward=1 now" });
    body.push(`echo 1 > /proc/sys/net/ipv4/ip_forward || fail "cannot enable ip_forward"`);
  }
  if (bundle) {
    if (f.k3sSha256 !== bundle.binary.sha256 && f.stagedSha256 !== bundle.binary.sha256)
      put("binary", `stage k3s ${h.k3sVersion} from the air-gap bundle`, STAGED_BINARY, "755", {
        ...bundle.binary,
        tmp: tmpBeside(STAGED_BINARY),
      });
    if (f.installScriptSha256 !== bundle.installScript.sha256)
      put("install-script", "install.sh from the air-gap bundle", INSTALL_SCRIPT_PATH, "755", {
        ...bundle.installScript,
        tmp: tmpBeside(INSTALL_SCRIPT_PATH),
      });
    if (bundle.images && f.imagesSha256 !== bundle.images.sha256) {
      const path = posix.join(IMAGES_DIR, bundle.images.name);
      put("images", "air-gap images", path, "644", { ...bundle.images, tmp: tmpBeside(path) });
    }
  }
  if (reboot && !f.rebootPending) {
    actions.push({ step: "reboot", why: why! });
    // The boot it was scheduled in, so a re-plan after a dropped connection does not schedule a second one.
    body.push(
      `cat /proc/sys/kernel/random/boot_id > ${STATE_DIR}/reboot-pending`,
      `systemd-run --on-active=2 systemctl reboot || fail "cannot schedule a reboot"`,
    );
  }
  if (body.length === 0) return { actions, script: "", files, reboot, ...(why ? { why } : {}) };
  const receive = files.map((x) => `rx ${shellQuote(x.tmp)} ${x.size} ${x.sha256}`);
  const script = [prelude({ lock: true }), ...receive, ...body, "exit 0", ""].join("\n");
  return { actions, script, files, reboot, ...(why ? { why } : {}) };
}
