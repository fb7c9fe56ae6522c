/**
 * What a target gives `kuar init`: its questions and its read-only preflight checks. The wizard
 * (wizard/) implements the context these run in and loops over the chosen target's setup; it
 * never names a target. A target's `setup.ts` exports `setup`, loaded by providers/registry.ts
 * only when the wizard runs.
 */

/** A config path without the namespace: `["gke", "workloadPools", 0, "minNodes"]`. */
export type ConfigPath = readonly (string | number)[];

export type Validate<T> = (value: T) => true | string;

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  checked?: boolean;
}

/** How a typed answer is read: as text, a whole number, a comma-separated list, or text that may be empty. */
export type AnswerKind = "string" | "int" | "list" | "optional";

/** A typed question whose answer goes at `path`; the program's schema checks it there. */
export interface Question {
  id: string;
  path: ConfigPath;
  message: string;
  /** @default none */
  default?: string;
  /** @default "string" */
  kind?: AnswerKind;
  /** Other paths whose problems this answer can cause (e.g. maxNodes for minNodes <= maxNodes). @default [] */
  also?: ConfigPath[];
  /** A wizard-only check for what the schema allows but the wizard should not write. @default none */
  extra?: (value: unknown) => string | undefined;
}

/** The questions that are not typed text. */
export interface Asker {
  confirm(q: { id: string; message: string; default: boolean }): Promise<boolean>;
  select<T>(q: { id: string; message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  multi<T>(q: { id: string; message: string; choices: Choice<T>[]; validate?: Validate<T[]> }): Promise<T[]>;
  /** Prints a line (explanations, preflight results). */
  say(line: string): void;
}

/** Reads a host's SSH host key (ssh-keyscan); an error instead when it cannot. */
export type Keyscan = (address: string, port: number) => Promise<{ key?: string; error?: string }>;

export interface WizardContext extends Asker {
  /** Asks `q`, re-asking until the schema accepts the answer; puts it at `q.path` and returns it. */
  ask(q: Question): Promise<unknown>;
  /** Puts `value` at `path` in the draft config. */
  put(path: ConfigPath, value: unknown): void;
  /** The draft config's value at `path`. */
  get(path: ConfigPath): unknown;
  /** Every problem the draft would have with `value` at `path`: its `kuar:` path and the prompt text. */
  problemsIf(path: ConfigPath, value: unknown): { path: string; text: string }[];
  /** The stack name reads as a throwaway one (dev, test, ci, ...): cheaper defaults are offered. */
  dev: boolean;
  /** Reads host keys instead of the target's own reader (tests script it). @default the target's own */
  keyscan?: Keyscan;
}

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

/** An SSH host as preflight connects to it. */
export interface SshHost {
  address: string;
  port: number;
  user: string;
}

export interface PreflightDeps {
  probe: Probe;
  /** Whether an executable is on PATH (no process is started). */
  which: (name: string) => boolean;
  exists: (path: string) => boolean;
  env: NodeJS.ProcessEnv;
  home: string;
  /** Whether kuar's local toolchain is built. @default not checked */
  toolchainReady?: () => boolean;
  /** SSH checks of one host; replaceable so unit tests need no sshd. @default the target's own */
  sshChecks?: (host: SshHost) => Promise<Check[]>;
}

export const TIMEOUT_MS = 10_000;

export interface TargetSetup {
  /** Asks for the target's settings, in order. @default no questions */
  ask?(w: WizardContext): Promise<void>;
  /**
   * Read-only checks of what the target needs (tools, credentials, machines). `settings` is
   * `kuar:<target>` as the stack file holds it, defaults not applied. @default no checks
   */
  preflight?(settings: Record<string, unknown>, deps: PreflightDeps): Promise<Check[]>;
}

/** A tool on PATH: PASS, or WARN with how to install it. */
export function toolCheck(deps: PreflightDeps, bin: string, hint: string): Check {
  return deps.which(bin)
    ? { status: "PASS", name: bin, detail: "found on PATH" }
    : { status: "WARN", name: bin, detail: `not found on PATH. ${hint}` };
}

/** Runs a read-only CLI command that succeeds only when its credentials are in place. */
export async function cliCredentials(
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

/**
 * The workload pool's size, asked the way every cloud target asks it: spot first (cheaper on a
 * throwaway stack), then the ceiling (the schema checks the floor against it), then the floor
 * (0 allowed with spot).
 */
export async function askPoolSize(
  w: WizardContext,
  q: {
    pool: ConfigPath;
    prefix: string;
    spotMessage: string;
    /** Writes the spot answer in the target's own terms. */
    onSpot: (on: boolean) => void;
    max: string;
    min: string;
    maxAlso?: ConfigPath[];
  },
): Promise<boolean> {
  const spot = await w.confirm({ id: `${q.prefix}.spot`, message: q.spotMessage, default: w.dev });
  q.onSpot(spot);
  await w.ask({
    id: `${q.prefix}.${q.max}`,
    path: [...q.pool, q.max],
    message: "Most workload nodes",
    default: "3",
    kind: "int",
    ...(q.maxAlso ? { also: q.maxAlso } : {}),
  });
  await w.ask({
    id: `${q.prefix}.${q.min}`,
    path: [...q.pool, q.min],
    message: "Fewest workload nodes",
    default: spot ? "0" : "1",
    kind: "int",
  });
  return spot;
}
