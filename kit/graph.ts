/**
 * The dependency graph a program registers under mocks: for every resource its parent, its
 * provider and the URNs it depends on (explicit dependsOn and the outputs its inputs use, as
 * the engine receives them). The engine creates along these edges and deletes against them,
 * so asserting the graph asserts both the creation and the destroy order.
 *
 * Call `recordGraph()` before `useMocks()`: it wraps the mock monitor's registerResource.
 */
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks.js";

export interface Node {
  urn: string;
  type: string;
  name: string;
  parent: string;
  /** The provider reference `urn::id`, or "" for the default provider. */
  provider: string;
  dependencies: string[];
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
}

export class Graph {
  readonly nodes: Node[] = [];

  /** The one node with this type and name. */
  one(type: string, name: string): Node {
    const found = this.nodes.filter((n) => n.type === type && n.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0]!;
  }

  ofType(type: string): Node[] {
    return this.nodes.filter((n) => n.type === type);
  }

  /** Direct edges of a node: its dependencies and its provider (the engine deletes a provider after its resources). */
  private edges(n: Node): string[] {
    const provider = n.provider ? [n.provider.split("::").slice(0, -1).join("::")] : [];
    return [...n.dependencies, ...provider];
  }

  /** True when `from` depends on `to`, directly or through other resources. */
  dependsOn(from: Node, to: Node): boolean {
    const byUrn = new Map(this.nodes.map((n) => [n.urn, n]));
    const seen = new Set<string>();
    const stack = [...this.edges(from)];
    while (stack.length > 0) {
      const urn = stack.pop()!;
      if (urn === to.urn) return true;
      if (seen.has(urn)) continue;
      seen.add(urn);
      const next = byUrn.get(urn);
      if (next) stack.push(...this.edges(next));
    }
    return false;
  }

  /** The order the engine may delete in: nothing before the resources that depend on it. */
  deletionOrder(): Node[] {
    const order: Node[] = [];
    const left = new Set(this.nodes);
    for (let guard = 0; left.size > 0 && guard <= this.nodes.length; guard++) {
      for (const n of [...left]) {
        const blocked = [...left].some((m) => m !== n && this.edges(m).includes(n.urn));
        if (!blocked) {
          order.push(n);
          left.delete(n);
        }
      }
    }
    if (left.size > 0) throw new Error(`dependency cycle among ${[...left].map((n) => n.name).join(", ")}`);
    return order;
  }
}

/** Starts recording; returns the graph that fills as resources register. */
export function recordGraph(): Graph {
  const graph = new Graph();
  const proto = MockMonitor.prototype as unknown as {
    registerResource(req: RegisterRequest, callback: (err: unknown, res: unknown) => void): Promise<void>;
  };
  const original = proto.registerResource;
  proto.registerResource = function (this: unknown, req, callback) {
    return original.call(this, req, (err, res) => {
      if (!err && res) {
        const urn = (res as { getUrn(): string }).getUrn();
        graph.nodes.push({
          urn,
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent(),
          provider: req.getProvider(),
          dependencies: req.getDependenciesList(),
        });
      }
      callback(err, res);
    });
  };
  return graph;
}
