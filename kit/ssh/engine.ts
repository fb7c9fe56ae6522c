/**
 * What the Pulumi engine does with the Pi target's resources, reduced to the provider calls:
 * every kuar:RaspberryPiHost first, all in parallel (they depend on nothing); then the
 * kuar:RaspberryPiNode resources, servers one after another (each depends on the previous), agents
 * in parallel after them; unchanged resources only diffed, removed nodes deleted (agents first,
 * servers last), and only successful operations recorded in state. The real engine runs the same
 * modules in e2e.
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
    const prepared = new Set<string>();
    await settleAll(
      specs.map(async (spec) => {
        const hs = hostSpecOf(spec);
        const r = await this.one(this.host, this.hosts.get(spec.nodeName) as never, hs as never);
        if (r.outs) this.hosts.set(spec.nodeName, r.outs as unknown as HostOutputs);
        prepared.add(spec.nodeName);
      }),
    ).catch(async (e: unknown) => {
      // The engine still runs every resource whose dependencies succeeded: the servers up to the
      // first unprepared one, and the prepared agents only when every server was prepared.
      const servers = specs.filter((x) => x.role === "server");
      const stop = servers.findIndex((x) => !prepared.has(x.nodeName));
      const ready = [
        ...(stop < 0 ? servers : servers.slice(0, stop)),
        ...(stop < 0 ? specs.filter((x) => x.role === "agent" && prepared.has(x.nodeName)) : []),
      ];
      await this.nodes(state, ready, token, res).catch(() => {});
      throw e;
    });
    await this.nodes(state, specs, token, res);
    const wanted = new Set(specs.map((s) => s.nodeName));
    await remove(
      this,
      state,
      [...state.keys()].filter((k) => !wanted.has(k)),
      res.deleted,
    );
    return res;
  }

  private async nodes(state: State, specs: NodeSpec[], token: string, res: UpResult): Promise<void> {
    const one = async (spec: NodeSpec) => {
      const news: NodeInputs = { ...spec, token };
      const r = await this.one(this.node, state.get(spec.nodeName) as never, news as never);
      if (r.outs) state.set(spec.nodeName, r.outs as unknown as NodeOutputs);
      res[r.op].push(spec.nodeName);
    };
    for (const s of specs.filter((x) => x.role === "server")) await one(s);
    await settleAll(specs.filter((x) => x.role === "agent").map(one));
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
