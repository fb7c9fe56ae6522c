/**
 * What the Pulumi engine does with the Pi target's resources, reduced to the provider calls and
 * scheduled by the dependencies cluster.ts declares: every kuar:RaspberryPiHost at once (they
 * depend on nothing); a server's kuar:RaspberryPiNode as soon as its own host and the previous
 * server are done; agents' nodes in parallel once their host and every server are done;
 * unchanged resources only diffed, removed nodes deleted (agents first, servers last), and only
 * successful operations recorded in state. The real engine runs the same modules in e2e.
 */
import type * as pulumi from "@pulumi/pulumi";
import { hostProvider, type HostOutputs } from "../../providers/raspberrypi/host.provider.js";
import { hostSpecOf, type NodeInputs, type NodeSpec } from "../../providers/raspberrypi/inventory.js";
import { nodeProvider, type NodeOutputs } from "../../providers/raspberrypi/node.provider.js";
import type { SessionOptions } from "../../providers/raspberrypi/ssh.js";

export type State = Map<string, NodeOutputs>;

export interface UpResult {
  created: string[];
  updated: string[];
  replaced: string[];
  deleted: string[];
  unchanged: string[];
}

export class Engine {
  readonly hosts = new Map<string, HostOutputs>();
  readonly host: pulumi.dynamic.ResourceProvider;
  readonly node: pulumi.dynamic.ResourceProvider;

  constructor(opts: SessionOptions) {
    this.host = hostProvider(opts);
    this.node = nodeProvider(opts);
  }

  /** One resource: check, then create, update, replace or nothing; returns what happened. */
  private async one(
    p: pulumi.dynamic.ResourceProvider,
    olds: Record<string, unknown> | undefined,
    news: Record<string, unknown>,
  ): Promise<{ op: keyof UpResult; outs?: Record<string, unknown> }> {
    const failures = (await p.check!({} as never, news)).failures ?? [];
    if (failures.length) throw new Error(failures.map((f) => f.reason).join("; "));
    const id = String(news["nodeName"]);
    if (!olds) return { op: "created", outs: (await p.create(news)).outs };
    const d = await p.diff!(id, olds, news);
    if (!d.changes) return { op: "unchanged" };
    if (d.replaces?.length) {
      await p.delete!(id, olds);
      return { op: "replaced", outs: (await p.create(news)).outs };
    }
    return { op: "updated", outs: (await p.update!(id, olds, news)).outs };
  }

  async up(state: State, specs: NodeSpec[], token: string): Promise<UpResult> {
    const res: UpResult = { created: [], updated: [], replaced: [], deleted: [], unchanged: [] };
    // As the engine schedules them (cluster.ts): a host's preparation depends on nothing; a
    // server's node on its own host and the previous server; an agent's node on its own host and
    // every server. A resource whose dependency failed is not run.
    const prepared = new Map(
      specs.map((spec) => {
        const hs = hostSpecOf(spec);
        const run = async () => {
          const r = await this.one(this.host, this.hosts.get(spec.nodeName) as never, hs as never);
          if (r.outs) this.hosts.set(spec.nodeName, r.outs as unknown as HostOutputs);
        };
        return [spec.nodeName, run()] as const;
      }),
    );
    const node = async (spec: NodeSpec) => {
      const news: NodeInputs = { ...spec, token };
      const r = await this.one(this.node, state.get(spec.nodeName) as never, news as never);
      if (r.outs) state.set(spec.nodeName, r.outs as unknown as NodeOutputs);
      res[r.op].push(spec.nodeName);
    };
    const nodes: Promise<void>[] = [];
    let previous: Promise<unknown> = Promise.resolve();
    for (const spec of specs.filter((x) => x.role === "server")) {
      const p = Promise.all([prepared.get(spec.nodeName), previous]).then(() => node(spec));
      nodes.push(p);
      previous = p;
    }
    const servers = Promise.all(nodes);
    servers.catch(() => {}); // reported through `nodes`
    for (const spec of specs.filter((x) => x.role === "agent"))
      nodes.push(Promise.all([prepared.get(spec.nodeName), servers]).then(() => node(spec)));
    await settleAll([...prepared.values(), ...nodes]);
    const wanted = new Set(specs.map((s) => s.nodeName));
    await remove(
      this,
      state,
      [...state.keys()].filter((k) => !wanted.has(k)),
      res.deleted,
    );
    return res;
  }

  async destroy(state: State): Promise<string[]> {
    const deleted: string[] = [];
    await remove(this, state, [...state.keys()], deleted);
    return deleted;
  }
}

async function remove(e: Engine, state: State, names: string[], deleted: string[]): Promise<void> {
  const del = async (name: string) => {
    await e.node.delete!(name, state.get(name)!);
    state.delete(name);
    await e.host.delete!(name, e.hosts.get(name));
    e.hosts.delete(name);
    deleted.push(name);
  };
  await settleAll(names.filter((n) => state.get(n)!.role === "agent").map(del));
  for (const n of names.filter((x) => state.get(x)?.role === "server").reverse()) await del(n);
}

/** Like the engine, lets parallel operations finish before reporting the first failure. */
async function settleAll(ps: Promise<void>[]): Promise<void> {
  const rs = await Promise.allSettled(ps);
  const failed = rs.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
