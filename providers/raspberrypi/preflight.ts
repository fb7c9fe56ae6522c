/**
 * Preflight of one Pi, read-only: connect with the pinned key (short timeouts, one attempt) and
 * read what k3s needs. Loaded by setup.ts only when there is a host to check.
 */
import type { Check } from "../setup.js";
import { nodeNameOf, type HostSettings } from "./schema.js";
import { defaultSessionOptions, Session, type SessionOptions } from "./ssh.js";

/** What `uname -m` says about a host expected to run `arch`. */
export function archCheck(name: string, expected: "arm64" | "amd64", machine: string): Check {
  const want = expected === "arm64" ? "aarch64" : "x86_64";
  if (machine === want) return { status: "PASS", name, detail: `${machine} (${expected})` };
  if (machine === "armv7l" || machine === "armv6l") {
    return {
      status: "WARN",
      name,
      detail: `${machine}: a 32-bit OS. k3s runs on it, but many images are arm64-only; flash 64-bit Raspberry Pi OS (Lite).`,
    };
  }
  return {
    status: "FAIL",
    name,
    detail: `${machine || "unknown"}, but arch is ${expected} (expected ${want}). Set arch to match the OS, or reinstall the OS.`,
  };
}

/** Whether the memory cgroup controller is on, from cgroup.controllers and /proc/cmdline. */
export function cgroupCheck(name: string, controllers: string | undefined, cmdline: string): Check {
  if (controllers !== undefined && controllers.split(/\s+/).includes("memory")) {
    return { status: "PASS", name, detail: "memory controller enabled" };
  }
  const flags = ["cgroup_memory=1", "cgroup_enable=memory"];
  const present = cmdline.split(/\s+/);
  if (flags.every((f) => present.includes(f))) {
    return { status: "PASS", name, detail: "cgroup_memory=1 cgroup_enable=memory on the kernel command line" };
  }
  return {
    status: "WARN",
    name,
    detail: `memory cgroup not enabled; pulumi up will add ${flags.filter((f) => !present.includes(f)).join(" ")} to cmdline.txt and reboot this Pi once`,
  };
}

/** One attempt with a short timeout: preflight reports, pulumi up is the one that retries. */
function preflightSession(): SessionOptions {
  const o = defaultSessionOptions();
  return { ...o, tuning: { ...o.tuning, connectTimeoutMs: Math.min(o.tuning.connectTimeoutMs, 5_000), attempts: 1 } };
}

/** Connects with the pinned key (short timeouts, one attempt) and reads what k3s needs. */
export async function piChecks(host: HostSettings, opts: SessionOptions = preflightSession()): Promise<Check[]> {
  const node = nodeNameOf(host);
  const label = (what: string) => `${node} ${what}`;
  const remote = new Session(
    {
      address: host.address,
      port: host.port,
      user: host.user,
      agent: host.agent,
      allowTofu: false,
      ...(host.privateKeyPath ? { privateKeyPath: host.privateKeyPath } : {}),
      ...(host.hostKey ? { hostKey: host.hostKey } : {}),
    },
    node,
    opts,
  );
  try {
    try {
      await remote.connect(1);
    } catch (e) {
      return [{ status: "FAIL", name: label("ssh"), detail: e instanceof Error ? e.message : String(e) }];
    }
    const checks: Check[] = [
      {
        status: "PASS",
        name: label("ssh"),
        detail: `${host.user}@${host.address}:${host.port} with the pinned host key`,
      },
    ];
    const read = async (cmd: string) => {
      const r = await remote.run("preflight", cmd, { allowFailure: true });
      return r.code === 0 ? r.stdout : undefined;
    };
    checks.push(archCheck(label("architecture"), host.arch, (await read("uname -m"))?.trim() ?? ""));
    checks.push(
      cgroupCheck(
        label("cgroups"),
        await read("cat /sys/fs/cgroup/cgroup.controllers"),
        (await read("cat /proc/cmdline")) ?? "",
      ),
    );
    try {
      const sudo = await remote.run("preflight", "sudo -n true", { allowFailure: true });
      checks.push(
        sudo.code === 0
          ? { status: "PASS", name: label("sudo"), detail: "passwordless sudo works" }
          : {
              status: "FAIL",
              name: label("sudo"),
              detail: `sudo -n true exited with ${sudo.code}: ${sudo.stderr.trim()}`,
            },
      );
    } catch (e) {
      checks.push({ status: "FAIL", name: label("sudo"), detail: e instanceof Error ? e.message : String(e) });
    }
    return checks;
  } finally {
    remote.close();
  }
}
