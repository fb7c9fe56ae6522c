/**
 * The `kuar` command line (commander). Every command parses and validates its arguments before
 * anything is built or started; help goes to stdout with exit 0, usage errors to stderr with
 * exit 2, refusals and failures exit 1, an interrupted run 130. Actions load their modules
 * lazily, so `--help` and usage errors cost no Pulumi import.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { describeError, Refusal, UsageError } from "./errors.js";
import { createUi, type Ui } from "./ui.js";

export const version = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** Exit statuses. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

const STACK = /^[A-Za-z0-9_.-]{1,100}$/;
function stackName(v: string): string {
  if (!STACK.test(v))
    throw new InvalidArgumentError(
      `expected a stack name (letters, digits, '-', '_' and '.', at most 100), got "${v}".`,
    );
  return v;
}
function ttl(v: string): string {
  const m = /^(\d+)(m|h|d)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration like 90m, 2h or 1d, got "${v}".`);
  if (Number(m[1]) <= 0) throw new InvalidArgumentError(`must be at least 1m, got "${v}". Use e.g. 30m.`);
  return v;
}
function ephemeralStackName(v: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,50}$/.test(v))
    throw new InvalidArgumentError(`expected lowercase letters, digits and dashes (at most 51), got "${v}".`);
  return v;
}

export interface RunDeps {
  ui: Ui;
  /** Where commander writes help (stdout) and usage errors (stderr). */
  write?: { out: (s: string) => void; err: (s: string) => void };
  /** Receives the exit code an action decided. */
  setCode: (code: number) => void;
}

const stackOption = () =>
  new Option("-s, --stack <name>", "the stack (stacks/Pulumi.<name>.yaml)").default("local").argParser(stackName);

/** Builds the program. Exposed for tests, which parse argv without a process exit. */
export function buildProgram(deps: RunDeps): Command {
  const { ui, setCode } = deps;
  const write = deps.write ?? {
    out: (s: string) => process.stdout.write(s),
    err: (s: string) => process.stderr.write(s),
  };
  const program = new Command("kuar");
  program
    .description(
      "Kubernetes: Up and Running as one Pulumi program: a cluster on local, GKE, AKS, EKS or Raspberry Pis, its add-ons and the book's workloads.",
    )
    .version(version, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .addHelpCommand("help [command]", "show help for a command")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: write.out,
      writeErr: write.err,
    })
    .addHelpText(
      "after",
      `
Quick start:  kuar up              (the local target; builds its toolchain the first time)
New stack:    kuar init            (asks a few questions, writes stacks/Pulumi.<stack>.yaml)
Offline look: kuar plan --stack gke-dev
Docs: README.md, docs/wizard.md, docs/ci.md, docs/configuration.md`,
    );

  const act =
    <A extends unknown[]>(fn: (...a: A) => Promise<number>) =>
    async (...a: A) =>
      setCode(await fn(...a));

  for (const [op, what] of [
    ["up", "create or update the stack's cluster, add-ons and workloads"],
    ["preview", "show what up would change (nothing is changed)"],
    ["destroy", "delete everything the stack created"],
    ["refresh", "read the real state back into the stack's state"],
  ] as const) {
    program
      .command(op)
      .description(what)
      .addOption(stackOption())
      .argument("[pulumi-args...]", "extra pulumi arguments, after --")
      .action(
        act(async (extra: string[], o: { stack: string }) => {
          const { operate } = await import("./stack.js");
          return operate(ui, op, o.stack, extra);
        }),
      );
  }

  program
    .command("status")
    .description("is the stack deployed, how many resources, its apps and local control plane")
    .addOption(stackOption())
    .option("--json", "print JSON")
    .action(
      act(async (o: { stack: string; json?: boolean }) => (await import("./stack.js")).status(ui, o.stack, !!o.json)),
    );

  program
    .command("kubeconfig")
    .description("merge the stack's kubeconfig into yours as a context (mode 600) and print the export")
    .addOption(stackOption())
    .option("--file <path>", "kubeconfig to write (default: first of $KUBECONFIG, else ~/.kube/config)")
    .option("--context <name>", "context name (default: kuar-<stack>)")
    .option("--print", "print the kubeconfig instead of writing it")
    .action(
      act(async (o: { stack: string; file?: string; context?: string; print?: boolean }) =>
        (await import("./stack.js")).kubeconfig(ui, o.stack, o),
      ),
    );

  program
    .command("doctor")
    .description("check the stack's config and run the preflight checks (tools, credentials, SSH); read-only")
    .addOption(stackOption())
    .action(act(async (o: { stack: string }) => (await import("./doctor.js")).doctor(ui, o.stack)));

  program
    .command("plan")
    .description("offline: what the stack would create, without credentials, cloud or engine")
    .addOption(stackOption())
    .option("--json", "print JSON (for CI)")
    .option("--file <path>", "plan this stack file instead of stacks/Pulumi.<stack>.yaml")
    .action(
      act(async (o: { stack: string; json?: boolean; file?: string }) =>
        (await import("./plan.js")).planCommand(ui, o.stack, !!o.json, o.file),
      ),
    );

  program
    .command("init")
    .description("the setup wizard: asks a few questions (or takes flags) and writes a stack file")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[options...]", "wizard options; see kuar init --help")
    .action(
      act(async (args: string[]) => {
        const { main } = await import("../wizard/main.js");
        return main(args, { out: ui.out, err: ui.raw });
      }),
    );

  ephemeralCommands(program.command("ephemeral").description("throwaway clusters for CI (docs/ci.md)"), deps, act);
  return program;
}

type Act = <A extends unknown[]>(fn: (...a: A) => Promise<number>) => (...a: A) => Promise<void>;
type Ephemeral = typeof import("./ephemeral.js");
/** The options of the subcommands that start from a base stack. */
interface BaseOptions {
  from: string;
  ttl: string;
  name?: string;
}

function ephemeralCommands(eph: Command, deps: RunDeps, act: Act): void {
  const { ui } = deps;
  const from = () =>
    new Option("--from <stack>", "base stack (stacks/Pulumi.<stack>.yaml)").makeOptionMandatory().argParser(stackName);
  const ttlOpt = () => new Option("--ttl <duration>", "time to live: 90m, 2h, 1d").default("2h").argParser(ttl);
  const nameOpt = () =>
    new Option("--name <id>", "stack name (default ci-<base>-<6 hex>)").argParser(ephemeralStackName);
  const ctx = async (need: "engine" | "local" | "cli") => {
    const { ensureFor } = await import("./toolchain.js");
    const { newRunId } = await import("./processes.js");
    const bin = await ui.step(`toolchain (${need === "local" ? "engine and local control plane" : need})`, () =>
      ensureFor(need, ui.info),
    );
    return { bin, log: (l: string) => ui.info(l), runId: newRunId() };
  };
  /** Reads the base's target from its file (a usage error when missing), before any build. */
  const checkBase = async (base: string) => (await import("./ephemeral.js")).baseTarget(base);
  /**
   * The Pulumi CLI first (to check names and ownership), the rest only once the stack is known to
   * be ours (down, reap) or the name free and the config valid (up, run).
   */
  const teardownCtx = async () => {
    const { ensureFor, needFor } = await import("./toolchain.js");
    const c = await ctx("cli");
    const prepare = async (target: string) => {
      const need = needFor(target);
      await ui.step(`toolchain (${need === "local" ? "engine and local control plane" : need})`, () =>
        ensureFor(need, ui.info),
      );
    };
    return { ...c, prepare };
  };
  const withSignals = async () => (await import("./signals.js")).interruptible((l) => ui.warn(l));
  /**
   * One `ephemeral` subcommand: its options, and an action that gets the ephemeral module (loaded
   * only when the command runs) with the parsed options, and returns the exit code.
   */
  const command = <O>(
    name: string,
    description: string,
    options: Option[],
    fn: (e: Ephemeral, o: O) => Promise<number>,
  ): Command =>
    options
      .reduce((c, opt) => c.addOption(opt), eph.command(name).description(description))
      .action(act(async (o: O) => fn(await import("./ephemeral.js"), o)));
  /** `up` and `run` start from a base stack, with a TTL and an optional name. */
  const fromBase = () => [from(), ttlOpt(), nameOpt()];
  /** Checks the base, then the teardown context, with a signal that SIGINT and SIGTERM abort. */
  const begin = async (base: string) => {
    await checkBase(base);
    const abort = await withSignals();
    try {
      return { abort, c: { ...(await teardownCtx()), signal: abort.signal } };
    } catch (err) {
      abort.dispose();
      throw err;
    }
  };
  /** Brings the stack up from its base; `created` hears the stack's name as soon as it exists. */
  const upFrom = (e: Ephemeral, c: Parameters<Ephemeral["up"]>[0], o: BaseOptions, created: (stack: string) => void) =>
    e.up(c, { from: o.from, ttl: o.ttl, ...(o.name ? { name: o.name } : {}), onSession: (s) => created(s.stack) });

  command(
    "up",
    "create an ephemeral stack from a base stack and bring it up; prints JSON",
    fromBase(),
    async (e, o: BaseOptions) => {
      const { abort, c } = await begin(o.from);
      let r: Awaited<ReturnType<typeof e.up>>;
      let created: string | undefined;
      try {
        r = await upFrom(e, c, o, (stack) => (created = stack));
      } catch (err) {
        if (!abort.signal.aborted) throw err;
        ui.error(describeError(err));
        if (created)
          ui.info(`interrupted: tear ${created} down with "kuar ephemeral down --name ${created}" (or let reap do it)`);
        return EXIT.interrupted;
      } finally {
        abort.dispose();
      }
      ui.out(
        JSON.stringify(
          {
            stack: r.session.stack,
            kubeconfig: r.session.kubeconfig,
            expiresAt: r.session.expiresAt,
            outputs: r.outputs,
          },
          null,
          2,
        ),
      );
      return EXIT.ok;
    },
  );

  command(
    "test",
    "smoke checks through kubectl: nodes Ready, workloads rolled out, Jobs complete",
    [nameOpt()],
    async (e, o: { name?: string }) => {
      const { systemToolchain, toolchainBinDir } = await import("./engine.js");
      const bin = systemToolchain ? (await ctx("cli")).bin : toolchainBinDir();
      return (await e.test({ bin, log: (l) => ui.out(l) }, o.name)).ok ? EXIT.ok : EXIT.failed;
    },
  );

  command(
    "down",
    "destroy and remove an ephemeral stack (safe twice); refuses stacks kuar did not create",
    [nameOpt()],
    async (e, o: { name?: string }) => {
      await e.down(await teardownCtx(), o.name);
      return EXIT.ok;
    },
  );

  command("reap", "tear down every ephemeral stack whose TTL has passed; prints JSON", [], async (e) => {
    const reaped = await e.reap(await teardownCtx());
    ui.out(JSON.stringify({ reaped }));
    return EXIT.ok;
  });

  command("run", "up, test, then down (always); exit code is the test's", fromBase(), async (e, o: BaseOptions) => {
    const { abort, c } = await begin(o.from);
    // Only a stack this very run recorded is torn down: never a name that merely was asked for.
    let created: string | undefined;
    let code: number = EXIT.failed;
    try {
      const r = await upFrom(e, c, o, (stack) => (created = stack));
      code = abort.signal.aborted
        ? EXIT.interrupted
        : (await e.test({ ...c, log: (l) => ui.out(l) }, r.session.stack)).ok
          ? EXIT.ok
          : EXIT.failed;
    } catch (err) {
      ui.error(describeError(err));
      if (abort.signal.aborted) code = EXIT.interrupted;
    } finally {
      try {
        if (created) await e.down({ ...c, signal: undefined }, created);
      } finally {
        abort.dispose();
      }
    }
    return code;
  });
}

/** Parses and runs; returns the exit code (never exits the process itself). */
export async function run(argv: string[], ui: Ui = createUi(), write?: RunDeps["write"]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram({ ui, setCode: (c) => (code = c), ...(write ? { write } : {}) });
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.ok;
      // A bare `kuar` or `kuar ephemeral`: commander printed the help on stderr.
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      ui.error(`${e.message}\n(see kuar --help)`);
      return EXIT.usage;
    }
    ui.error(e instanceof Refusal ? e.message : describeError(e));
    return EXIT.failed;
  }
}
