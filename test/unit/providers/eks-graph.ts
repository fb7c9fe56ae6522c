/**
 * The dependency graph the engine would receive, recorded under mocks: for every registered
 * resource its URN, parent, provider and the dependencies the SDK sends (explicit `dependsOn`
 * plus the resources its inputs came from); and which provider each invoke went through. Pulumi creates a resource after everything it
 * depends on and deletes it before them; `destroyOrder` replays that rule.
 *
 * Import this module before `useMocks()`: it wraps the mock monitor's registerResource.
 * Nothing here is EKS-specific; it is a candidate for kit/.
 */
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks.js";

export interface Node {
  urn: string;
  type: string;
  name: string;
  /** URNs this resource must outlive: dependencies, its provider and its parent. */
  needs: string[];
}

interface Request {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
}
type Callback = (err: unknown, res: { getUrn(): string } | undefined) => void;

const nodes = new Map<string, Node>();

const original = MockMonitor.prototype.registerResource;
MockMonitor.prototype.registerResource = function (this: MockMonitor, req: Request, callback: Callback) {
  return original.call(this, req, (err: unknown, res: { getUrn(): string } | undefined) => {
    if (!err && res) {
      const provider = req.getProvider();
      // A provider reference is `<urn>::<id>`; the URN itself contains "::".
      const providerUrn = provider ? provider.slice(0, provider.lastIndexOf("::")) : "";
      const needs = [...req.getDependenciesList(), providerUrn, req.getParent()].filter((u) => u !== "");
      nodes.set(res.getUrn(), { urn: res.getUrn(), type: req.getType(), name: req.getName(), needs });
    }
    callback(err, res);
  });
};

/** Every invoke with the provider reference it went through (`<urn>::<id>`, "" for the default). */
const invokes: { token: string; provider: string }[] = [];
const originalInvoke = MockMonitor.prototype.invoke;
MockMonitor.prototype.invoke = function (
  this: MockMonitor,
  req: { getTok(): string; getProvider(): string },
  callback: (err: unknown, res: unknown) => void,
) {
  invokes.push({ token: req.getTok(), provider: req.getProvider() });
  return originalInvoke.call(this, req, callback);
};

/** The recorded graph. */
export const graph = {
  nodes,
  invokes,
  /** The node with this type and logical name; throws when there is not exactly one. */
  find(type: string, name: string): Node {
    const found = [...nodes.values()].filter((n) => n.type === type && n.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0]!;
  },
  /** True when `from` needs `to`, directly or through others: `to` is created before and deleted after it. */
  needs(from: Node, to: Node): boolean {
    const seen = new Set<string>();
    const stack = [...from.needs];
    while (stack.length > 0) {
      const u = stack.pop()!;
      if (u === to.urn) return true;
      if (seen.has(u)) continue;
      seen.add(u);
      stack.push(...(nodes.get(u)?.needs ?? []));
    }
    return false;
  },
  /**
   * The order `pulumi destroy` may delete in: a resource only once nothing left needs it.
   * Ties are broken by registration order, newest first, as a single-threaded engine would.
   */
  destroyOrder(): Node[] {
    const all = [...nodes.values()];
    const dependents = new Map<string, number>(all.map((n) => [n.urn, 0]));
    for (const n of all) for (const u of n.needs) if (dependents.has(u)) dependents.set(u, dependents.get(u)! + 1);
    const order: Node[] = [];
    const done = new Set<string>();
    while (order.length < all.length) {
      const next = [...all].reverse().find((n) => !done.has(n.urn) && dependents.get(n.urn) === 0);
      if (!next) throw new Error("the dependency graph has a cycle");
      order.push(next);
      done.add(next.urn);
      for (const u of next.needs) if (dependents.has(u)) dependents.set(u, dependents.get(u)! - 1);
    }
    return order;
  },
};
