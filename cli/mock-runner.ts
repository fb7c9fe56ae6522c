/**
 * Runs the kuar program in this process under Pulumi's mocks, as a preview: every resource is
 * recorded with its inputs and its place in the tree (from its URN), outputs a cloud would fill
 * in stay unknown, and invokes are answered from recorded data (cli/recorded-invokes.json); an
 * invoke nobody recorded fails naming its token. No engine, credentials or network.
 * The program can be evaluated once per process (it is a module).
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";

export interface Recorded {
  type: string;
  name: string;
  /** Types from the root down to this resource (`kuar:providers:GkeCluster`, ..., `type`). */
  chain: string[];
  custom: boolean;
  inputs: Record<string, unknown>;
}

type Answer = Record<string, unknown>;

/** Recorded invoke answers by token (placeholders in the shapes the providers return). */
export function recordedInvokes(): Record<string, Answer> {
  return JSON.parse(readFileSync(new URL("./recorded-invokes.json", import.meta.url), "utf8")) as Record<
    string,
    Answer
  >;
}

class PlanMocks implements pulumi.runtime.Mocks {
  readonly pending: { type: string; name: string; custom: boolean; inputs: Record<string, unknown> }[] = [];
  readonly invoked: string[] = [];
  constructor(private readonly invokes: Record<string, Answer>) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
    this.pending.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs: args.inputs });
    // Only the inputs come back: everything a cloud would compute stays unknown in this preview.
    return { id: undefined, state: { ...args.inputs } };
  }

  call(args: pulumi.runtime.MockCallArgs): Answer {
    this.invoked.push(args.token);
    const answer = this.invokes[args.token];
    if (!answer)
      throw new Error(
        `kuar plan: no recorded answer for the invoke ${args.token}; add one to cli/recorded-invokes.json`,
      );
    // A recorded failure reaches the program as the engine hands one over: the message in `details`.
    const failure = (answer as { $error?: unknown }).$error;
    if (typeof failure === "string") throw Object.assign(new Error(failure), { details: failure });
    return answer;
  }
}

export interface MockRun {
  resources: Recorded[];
  invoked: string[];
  /** The program module's exports (stack outputs), as plain values where known. */
  exports: Record<string, unknown>;
}

/** Resolves an output-ish value, giving undefined for unknowns (after `ms` at most). */
function settleValue(v: unknown, ms = 2000): Promise<unknown> {
  if (!pulumi.Output.isInstance(v)) return Promise.resolve(v);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    (v as pulumi.Output<unknown>).apply((x) => {
      clearTimeout(t);
      resolve(x);
      return x;
    });
  });
}

/** Waits until registrations stop arriving. */
async function settle(count: () => number, quietMs = 40): Promise<void> {
  let last = -1;
  for (let i = 0; i < 300 && last !== count(); i++) {
    last = count();
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

/**
 * Evaluates `programUrl` (the project's index.ts) with `config` (flat `ns:key -> value`, secrets
 * as placeholders listed in `secretKeys`) for `stack`.
 */
export async function runUnderMocks(opts: {
  programUrl: URL;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  invokes?: Record<string, Answer>;
}): Promise<MockRun> {
  const mocks = new PlanMocks(opts.invokes ?? recordedInvokes());
  pulumi.runtime.setAllConfig(opts.config, opts.secretKeys);
  await pulumi.runtime.setMocks(mocks, "kuar", opts.stack, true);
  const failures: unknown[] = [];
  const onRejection = (e: unknown) => failures.push(e);
  process.on("unhandledRejection", onRejection);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(opts.programUrl.href)) as Record<string, unknown>;
    await settle(() => mocks.pending.length);
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failures.length) throw failures[0];
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    getRegisteredResources(): Map<string, { urn: string }>;
  };
  const urns = [...monitor.getRegisteredResources().keys()];
  const resources: Recorded[] = mocks.pending.map((p) => {
    const urn = urns.find((u) => u.endsWith(`::${p.name}`) && u.split("::")[2]!.split("$").pop() === p.type);
    const chain = urn ? urn.split("::")[2]!.split("$") : [p.type];
    return { ...p, chain };
  });
  const exports: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(mod)) exports[k] = await settleValue(v);
  return { resources, invoked: mocks.invoked, exports };
}
