/**
 * Read-only preflight checks: are the target's tools and credentials in place, can each Pi be
 * reached with its pinned key, and is it ready for k3s. Nothing here changes anything; every
 * command has a short timeout, and a missing tool is a WARN with its install hint, never a crash.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { nodeNameOf, type HostSettings } from "../providers/raspberrypi/schema.js";
import { defaultSessionOptions, Session, type SessionOptions } from "../providers/raspberrypi/ssh.js";

export type Status = "PASS" | "WARN" | "FAIL";

export interface Check {
  status: Status;
  /** What was checked, e.g. "gcloud" or "pi-1 architecture". */
  name: string;
  /** What was found, and for WARN and FAIL what to do. */
  detail: string;
}

export interface ProbeResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  missing: boolean;
}

export type Probe = (cmd: string, args: string[], timeoutMs: number) => Promise<ProbeResult>;

export interface PreflightDeps {
  probe: Probe;
  /** Whether an executable is on PATH (no process is started). */
  which: (name: string) => boolean;
  exists: (path: string) => boolean;
  env: NodeJS.ProcessEnv;
  home: string;
  /** Whether the local toolchain is built (local target). */
  toolchainReady?: () => boolean;
  /** SSH checks of one Pi; replaceable so unit tests need no sshd. */
  piChecks?: (host: HostSettings) => Promise<Check[]>;
}

export const TIMEOUT_MS = 10_000;

export function formatChecks(checks: readonly Check[]): string {
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.status}  ${c.name.padEnd(width)}  ${c.detail}`).join("\n");
}

export function verdict(checks: readonly Check[]): string {
  const n = (s: Status) => checks.filter((c) => c.status === s).length;
  const fail = n("FAIL");
  const warn = n("WARN");
  return `preflight: ${n("PASS")} passed, ${warn} warning${warn === 1 ? "" : "s"}, ${fail} failed${
    fail ? " (the stack config is still valid; fix these before pulumi up)" : ""
  }`;
}

interface Tool {
  bin: string;
  hint: string;
}

const TOOLS: Record<string, Tool[]> = {
  gke: [
    { bin: "gcloud", hint: "Install the Google Cloud CLI: https://cloud.google.com/sdk/docs/install" },
    {
      bin: "gke-gcloud-auth-plugin",
      hint: "Install it: gcloud components install gke-gcloud-auth-plugin (or apt install google-cloud-cli-gke-gcloud-auth-plugin)",
    },
  ],
  aks: [
    { bin: "az", hint: "Install the Azure CLI: https://learn.microsoft.com/cli/azure/install-azure-cli" },
    { bin: "kubelogin", hint: "Install it: az aks install-cli (installs kubectl and kubelogin)" },
  ],
  eks: [
    {
      bin: "aws",
      hint: "Install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
    },
  ],
};

/** Every check for a stack config (`kuar:*` keys without namespace). */
export async function preflight(config: Record<string, unknown>, deps: PreflightDeps): Promise<Check[]> {
  const target = String(config["target"] ?? "local");
  const settings = (config[target] ?? {}) as Record<string, unknown>;
  const checks: Check[] = [];
  for (const t of TOOLS[target] ?? []) {
    checks.push(
      deps.which(t.bin)
        ? { status: "PASS", name: t.bin, detail: "found on PATH" }
        : { status: "WARN", name: t.bin, detail: `not found on PATH. ${t.hint}` },
    );
  }
  if (target === "gke") checks.push(gcpCredentials(deps));
  if (target === "aks")
    checks.push(
      await cliCredentials(deps, "az", ["account", "show", "--output", "none"], "Azure login", "Run: az login"),
    );
  if (target === "eks") {
    const profile = typeof settings["profile"] === "string" ? ["--profile", settings["profile"]] : [];
    checks.push(
      await cliCredentials(
        deps,
        "aws",
        ["sts", "get-caller-identity", "--output", "json", ...profile],
        "AWS credentials",
        `Run: aws configure${profile.length ? ` --profile ${profile[1]}` : ""} (or aws sso login), or set AWS_PROFILE`,
      ),
    );
  }
  if (target === "local" && deps.toolchainReady) {
    checks.push(
      deps.toolchainReady()
        ? { status: "PASS", name: "toolchain", detail: "built (~/.cache/kuar/toolchain)" }
        : {
            status: "WARN",
            name: "toolchain",
            detail: "not built yet; npm run up builds it the first time (several minutes)",
          },
    );
  }
  if (target === "raspberrypi") {
    const hosts = (Array.isArray(settings["hosts"]) ? settings["hosts"] : []) as HostSettings[];
    const run = deps.piChecks ?? piChecks;
    for (const list of await Promise.all(hosts.map((h) => run(withDefaults(h))))) checks.push(...list);
  }
  return checks;
}

function gcpCredentials(deps: PreflightDeps): Check {
  const explicit = deps.env["GOOGLE_APPLICATION_CREDENTIALS"];
  const configDir = deps.env["CLOUDSDK_CONFIG"] ?? join(deps.home, ".config", "gcloud");
  const file = explicit ?? join(configDir, "application_default_credentials.json");
  const name = "Google credentials";
  if (deps.exists(file)) return { status: "PASS", name, detail: `application default credentials at ${file}` };
  return {
    status: "FAIL",
    name,
    detail: explicit
      ? `GOOGLE_APPLICATION_CREDENTIALS points at ${file}, which does not exist. Fix the path or unset it.`
      : `no application default credentials (${file}). Run: gcloud auth application-default login`,
  };
}

async function cliCredentials(
  deps: PreflightDeps,
  bin: string,
  args: string[],
  name: string,
  fix: string,
): Promise<Check> {
  if (!deps.which(bin)) return { status: "WARN", name, detail: `not checked: ${bin} is not installed` };
  const r = await deps.probe(bin, args, TIMEOUT_MS);
  const cmd = `${bin} ${args.join(" ")}`;
  if (r.missing) return { status: "WARN", name, detail: `not checked: ${bin} is not installed` };
  if (r.timedOut)
    return { status: "WARN", name, detail: `not checked: ${cmd} did not answer within ${TIMEOUT_MS / 1000} s` };
  if (r.code === 0) return { status: "PASS", name, detail: `${cmd} succeeded` };
  const why = r.stderr.trim().split("\n").filter(Boolean).pop();
  return { status: "FAIL", name, detail: `${cmd} exited with ${r.code}${why ? ` (${why})` : ""}. ${fix}` };
}

function withDefaults(h: Partial<HostSettings>): HostSettings {
  return { port: 22, user: "pi", agent: false, role: "agent", labels: {}, arch: "arm64", ...h } as HostSettings;
}

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

/** Runs a command with a timeout; never throws. */
export const probe: Probe = (cmd, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: "utf8", maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
      resolve({
        code: e ? (typeof e.code === "number" ? e.code : null) : 0,
        stdout: stdout ?? "",
        stderr: stderr ?? "",
        timedOut: !!e?.killed,
        missing: e?.code === "ENOENT",
      });
    });
  });

export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

export function defaultPreflightDeps(env: NodeJS.ProcessEnv = process.env): PreflightDeps {
  return { probe, which: (n) => onPath(n, env), exists: existsSync, env, home: homedir() };
}
