/**
 * What the Pulumi engine does with kuar:RaspberryPiNode resources, reduced to the provider calls:
 * servers created or updated one after another (each depends on the previous), agents in parallel
 * after them, unchanged nodes only diffed, removed nodes deleted (agents first, servers last), and
 * only successful operations recorded in state. The real engine runs the same module in e2e.
 */
import type { NodeInputs, NodeSpec } from "../../providers/raspberrypi/plan.js";
import { provider, type NodeOutputs } from "../../providers/raspberrypi/provider.js";

export type State = Map<string, NodeOutputs>;

export interface UpResult {
  created: string[];
  updated: string[];
  replaced: string[];
  deleted: string[];
  unchanged: string[];
}

export async function up(state: State, specs: NodeSpec[], token: string): Promise<UpResult> {
  const res: UpResult = { created: [], updated: [], replaced: [], deleted: [], unchanged: [] };
  const one = async (spec: NodeSpec) => {
    const news: NodeInputs = { ...spec, token };
    const failures = (await provider.check!({} as never, news)).failures ?? [];
    if (failures.length) throw new Error(failures.map((f) => f.reason).join("; "));
    const olds = state.get(spec.nodeName);
    if (!olds) {
      const { outs } = await provider.create(news);
      state.set(spec.nodeName, outs as NodeOutputs);
      res.created.push(spec.nodeName);
      return;
    }
    const d = await provider.diff!(spec.nodeName, olds, news);
    if (!d.changes) {
      res.unchanged.push(spec.nodeName);
      return;
    }
    if (d.replaces?.length) {
      await provider.delete!(spec.nodeName, olds);
      state.delete(spec.nodeName);
      const { outs } = await provider.create(news);
      state.set(spec.nodeName, outs as NodeOutputs);
      res.replaced.push(spec.nodeName);
      return;
    }
    const { outs } = await provider.update!(spec.nodeName, olds, news);
    state.set(spec.nodeName, outs as NodeOutputs);
    res.updated.push(spec.nodeName);
  };
  for (const s of specs.filter((x) => x.role === "server")) await one(s);
  await settleAll(specs.filter((x) => x.role === "agent").map(one));
  const wanted = new Set(specs.map((s) => s.nodeName));
  await remove(
    state,
    [...state.keys()].filter((k) => !wanted.has(k)),
    res.deleted,
  );
  return res;
}

export async function destroy(state: State): Promise<string[]> {
  const deleted: string[] = [];
  await remove(state, [...state.keys()], deleted);
  return deleted;
}

async function remove(state: State, names: string[], deleted: string[]): Promise<void> {
  const del = async (name: string) => {
    await provider.delete!(name, state.get(name)!);
    state.delete(name);
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
