/**
 * The `kuar` command.
 *   kuar init [--non-interactive --answers <file> | flags]     the setup wizard (writes a stack)
 *   kuar ephemeral up --from <base> [--ttl 2h] [--name <id>]    throwaway cluster for CI
 *   kuar ephemeral test [--name <id>]                           smoke checks
 *   kuar ephemeral down [--name <id>]                           destroy + remove (safe twice)
 *   kuar ephemeral reap                                         destroy every expired ephemeral stack
 *   kuar ephemeral run --from <base> [--ttl] [--name]           up, test, down (down always runs)
 */
import { parseArgs } from "node:util";
import { ensureToolchain } from "../scripts/lib/engine.js";
import * as eph from "./ephemeral.js";

const usage = `usage:
  kuar init [options]                 interactive setup wizard (see --help there)
  kuar ephemeral up --from <stack> [--ttl 2h] [--name <id>]
  kuar ephemeral test [--name <id>]
  kuar ephemeral down [--name <id>]
  kuar ephemeral reap
  kuar ephemeral run --from <stack> [--ttl 2h] [--name <id>]`;

async function ephemeral(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { from: { type: "string" }, ttl: { type: "string" }, name: { type: "string" } },
  });
  const sub = positionals[0];
  const log = (line: string) => console.error(line);
  const bin = ensureToolchain();
  const abort = new AbortController();
  const onSignal = (sig: string) => {
    log(`ephemeral: ${sig} received, stopping the running operation (teardown still runs)`);
    abort.abort();
  };
  process.once("SIGINT", () => onSignal("SIGINT"));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  const ctx: eph.Context = { bin, log, signal: abort.signal };
  const need = (v: string | undefined, flag: string) => {
    if (!v) throw new Error(`${flag} is required\n${usage}`);
    return v;
  };

  switch (sub) {
    case "up": {
      const r = await eph.up(ctx, { from: need(values.from, "--from"), ...pick(values) });
      console.log(
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
      return 0;
    }
    case "test":
      return (await eph.test(ctx, values.name)).ok ? 0 : 1;
    case "down":
      await eph.down({ ...ctx, signal: undefined }, values.name);
      return 0;
    case "reap": {
      const reaped = await eph.reap({ ...ctx, signal: undefined });
      console.log(JSON.stringify({ reaped }));
      return 0;
    }
    case "run": {
      let code = 1;
      let name = values.name;
      try {
        const r = await eph.up(ctx, { from: need(values.from, "--from"), ...pick(values) });
        name = r.session.stack;
        code = abort.signal.aborted ? 130 : (await eph.test(ctx, name)).ok ? 0 : 1;
      } catch (e) {
        log(`ephemeral: ${e instanceof Error ? e.message : String(e)}`);
        name ??= eph.readSession()?.stack;
      } finally {
        await eph.down({ ...ctx, signal: undefined }, name);
      }
      return code;
    }
    default:
      console.error(usage);
      return 2;
  }
}

function pick(v: { ttl?: string | undefined; name?: string | undefined }) {
  return { ...(v.ttl ? { ttl: v.ttl } : {}), ...(v.name ? { name: v.name } : {}) };
}

const [cmd, ...rest] = process.argv.slice(2);
try {
  if (cmd === "ephemeral") process.exitCode = await ephemeral(rest);
  else if (cmd === "init") process.exitCode = await (await import("../wizard/main.js")).main(rest);
  else {
    console.error(usage);
    process.exitCode = 2;
  }
} catch (e) {
  console.error(`kuar: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
