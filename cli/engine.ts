/**
 * Everything needed to run the real Pulumi engine offline for this project: the toolchain on
 * PATH, a file backend and Pulumi home inside the project (git-ignored), a generated passphrase,
 * and the kubernetes plugin registered from a local file (never downloaded).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { parse } from "yaml";
import { dirname, join, resolve } from "node:path";
import { toolchain } from "../config/versions.js";

export const root = resolve(import.meta.dirname, "..");
export const stateDir = join(root, ".kuar");

export function elapsed(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)}s`;
}

/**
 * KUAR_TOOLCHAIN=system uses the pulumi CLI (and plugins) already installed the official way,
 * e.g. on CI runners with internet for cloud targets; nothing is built.
 */
export const systemToolchain = process.env["KUAR_TOOLCHAIN"] === "system";

/** Builds or reuses the toolchain; returns its bin directory. */
export function ensureToolchain(): string {
  if (systemToolchain) {
    const which = spawnSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" });
    if (which.status !== 0) throw new Error("KUAR_TOOLCHAIN=system but no pulumi on PATH");
    return dirname(which.stdout.trim());
  }
  const r = spawnSync("bash", [join(root, "scripts", "toolchain.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error("toolchain build failed (see the output above)");
  return r.stdout.trim().split("\n").pop()!;
}

/** True when every toolchain component is built (builds nothing). */
export function toolchainReady(): boolean {
  return spawnSync("bash", [join(root, "scripts", "toolchain.sh"), "--check"], { stdio: "ignore" }).status === 0;
}

export function toolchainBinDir(): string {
  return execFileSync("bash", [join(root, "scripts", "toolchain.sh"), "--print"], { encoding: "utf8" }).trim();
}

/** The passphrase for this checkout's local secrets provider, created once with mode 600. */
export function passphraseFile(): string {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, "passphrase");
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString("base64url"), { mode: 0o600 });
  return file;
}

/** The project's file backend (used unless PULUMI_BACKEND_URL is already set). */
export const backendDir = join(stateDir, "state");

/**
 * Environment for the pulumi CLI (and the Automation API) in this project. A backend or
 * passphrase already set in the environment (e.g. by a CI system) wins over the project's own.
 */
export function engineEnv(bin: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const home = join(stateDir, "pulumi-home");
  mkdirSync(home, { recursive: true });
  mkdirSync(backendDir, { recursive: true });
  const ownPassphrase = base["PULUMI_CONFIG_PASSPHRASE"] === undefined && !base["PULUMI_CONFIG_PASSPHRASE_FILE"];
  return {
    ...base,
    PATH: `${bin}:${base["PATH"] ?? ""}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: base["PULUMI_BACKEND_URL"] ?? `file://${backendDir}`,
    ...(ownPassphrase ? { PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile() } : {}),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    ...(systemToolchain ? {} : { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" }),
    PULUMI_SKIP_CONFIRMATIONS: "true",
    KUAR_TOOLCHAIN_BIN: bin,
  };
}

/**
 * Registers the toolchain's Kubernetes provider in PULUMI_HOME (no download), reinstalling only
 * when the binary changed. (The language host needs no registration: it sits next to pulumi.)
 */
export function installKubernetesPlugin(env: NodeJS.ProcessEnv, bin: string): void {
  if (systemToolchain) return; // the official CLI fetches the real provider itself
  const version = toolchain.pulumiKubernetes;
  const binary = join(bin, "..", "plugins", "pulumi-resource-kubernetes");
  if (!existsSync(binary)) throw new Error(`${binary} is missing; run "npm run toolchain"`);
  const dir = join(env["PULUMI_HOME"]!, "plugins", `resource-kubernetes-v${version}`);
  const stamp = join(dir, ".kuar-sha256");
  const sum = createHash("sha256").update(readFileSync(binary)).digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === sum) return;
  pulumi(env, ["plugin", "install", "resource", "kubernetes", `v${version}`, "--file", binary, "--reinstall"], {
    quiet: true,
  });
  writeFileSync(stamp, sum);
}

export interface RunOptions {
  quiet?: boolean;
  allowFailure?: boolean;
  /** The project directory to run in (default: this project's). */
  cwd?: string;
}

/** Runs pulumi synchronously in the project; throws on failure unless allowed. */
export function pulumi(
  env: NodeJS.ProcessEnv,
  args: string[],
  opts: RunOptions = {},
): { status: number; stdout: string } {
  const r = spawnSync("pulumi", args, {
    cwd: opts.cwd ?? root,
    env,
    encoding: "utf8",
    stdio: ["ignore", opts.quiet ? "pipe" : "inherit", opts.quiet ? "pipe" : "inherit"],
    maxBuffer: 256 * 1024 * 1024,
  });
  const status = r.status ?? 1;
  if (status !== 0 && !opts.allowFailure) {
    throw new Error(`pulumi ${args.join(" ")} failed (exit ${status})${opts.quiet ? `:\n${r.stderr}${r.stdout}` : ""}`);
  }
  return { status, stdout: r.stdout ?? "" };
}

let project: string | undefined;
/** The project's name (Pulumi.yaml), under which a file backend keeps its stacks; read on first use. */
export function projectName(): string {
  return (project ??= (parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name: string }).name);
}

/**
 * Removes a stack from the backend with everything Pulumi keeps of it: `--remove-backups` drops
 * the copy of every checkpoint (without it a file backend keeps them in backups/ and a .bak of
 * the last; pulumi 3.248.0 pkg/backend/diy/state.go removeStack). A file backend then still has
 * the stack's backups/ and history/ folders, empty (the blob store deletes files, not folders):
 * they are removed too, and only if empty.
 */
export function removeStack(
  env: NodeJS.ProcessEnv,
  stack: string,
  opts: RunOptions & { project?: string } = { quiet: true },
): number {
  const r = pulumi(env, ["stack", "rm", "--yes", "--force", "--remove-backups", stack], opts);
  if (r.status !== 0) return r.status;
  for (const dir of stackFolders(env["PULUMI_BACKEND_URL"] ?? "", opts.project ?? projectName(), stack)) {
    try {
      rmdirSync(dir);
    } catch {
      // absent, or not empty: not ours to force
    }
  }
  return r.status;
}

/**
 * The folder of a file backend (`file:///abs/path` or `file://~/path`, with optional
 * `?settings`), or undefined for any other backend.
 */
export function fileBackendDir(url: string): string | undefined {
  if (!url.startsWith("file://")) return undefined;
  const path = url.slice("file://".length).split("?")[0]!;
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
}

/**
 * The folders a file backend keeps for a stack of a project besides its checkpoint: backups/
 * and history/. None for any other backend.
 */
export function stackFolders(url: string, project: string, stack: string): string[] {
  const base = fileBackendDir(url);
  return base === undefined ? [] : ["backups", "history"].map((kind) => join(base, ".pulumi", kind, project, stack));
}

/** Selects the stack, creating it (passphrase secrets) when new. */
export function selectStack(env: NodeJS.ProcessEnv, stack: string): void {
  const sel = pulumi(env, ["stack", "select", stack], { quiet: true, allowFailure: true });
  if (sel.status !== 0) pulumi(env, ["stack", "init", stack, "--secrets-provider", "passphrase"], { quiet: true });
}

/**
 * Arguments that keep a committed stack file clean. `pulumi stack init` writes this checkout's
 * passphrase salt into `stacks/Pulumi.<stack>.yaml`; for a file tracked in git without one (the
 * example stacks), the salt moves to `.kuar/salts/` and pulumi gets a merged copy through
 * `--config-file`. Untracked files and files committed with their own salt are left alone.
 */
export function configFileArgs(stack: string): string[] {
  const file = join(root, "stacks", `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return [];
  const tracked = spawnSync("git", ["ls-files", "--error-unmatch", file], { cwd: root, stdio: "ignore" }).status === 0;
  if (!tracked) return [];
  const head = spawnSync("git", ["show", `HEAD:stacks/Pulumi.${stack}.yaml`], { cwd: root, encoding: "utf8" });
  if (head.status === 0 && /^encryptionsalt:/m.test(head.stdout)) return [];
  const saltFile = join(stateDir, "salts", stack);
  const text = readFileSync(file, "utf8");
  const salt = /^encryptionsalt:.*$/m.exec(text)?.[0];
  if (salt) {
    mkdirSync(dirname(saltFile), { recursive: true, mode: 0o700 });
    writeFileSync(saltFile, `${salt}\n`, { mode: 0o600 });
    writeFileSync(file, text.replace(/^encryptionsalt:.*\n?/m, ""));
  }
  if (!existsSync(saltFile)) return [];
  const merged = join(stateDir, "config", `Pulumi.${stack}.yaml`);
  mkdirSync(dirname(merged), { recursive: true });
  writeFileSync(merged, `${readFileSync(file, "utf8").replace(/\n*$/, "\n")}${readFileSync(saltFile, "utf8")}`);
  return ["--config-file", merged];
}
