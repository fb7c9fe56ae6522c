/**
 * `kuar plan [--stack s] [--json]`: what a stack would create, offline. The program runs under
 * mocks in this process (cli/mock-runner.ts): no engine, no credentials, no cloud. Reports the
 * resources by layer and type, node pools and their sizes, add-ons chosen and skipped (with the
 * reason), and the secrets that would be generated or are set.
 */
import { existsSync } from "node:fs";
import { ConfigError } from "../config/errors.js";
import { parseConfig } from "../config/load.js";
import { stackFileConfig } from "../config/stack-file.js";
import { ADDONS, type Skip } from "../bootstrap/plan.js";
import { UsageError } from "./errors.js";
import { runUnderMocks, type MockRun, type Recorded } from "./mock-runner.js";
import { stackFilePath } from "./stack.js";
import type { Ui } from "./ui.js";

export interface Pool {
  name: string;
  /** Machine type(s), e.g. e2-standard-4 or m7i.large, m6i.large. */
  size: string;
  min: number;
  max: number;
  spot: boolean;
}

export interface Plan {
  stack: string;
  target: string;
  total: number;
  /** Layer (cluster, bootstrap, workloads) -> resource type -> count. */
  layers: Record<string, Record<string, number>>;
  pools: Pool[];
  addons: { installed: string[]; skipped: Skip[] };
  secrets: { generated: string[]; set: string[] };
}

const LAYER: Record<string, string> = { providers: "cluster", bootstrap: "bootstrap", workloads: "workloads" };

/** The layer of a resource: the first `kuar:<layer>:` component above (or at) it. */
export function layerOf(r: Pick<Recorded, "chain">): string {
  for (const t of r.chain) {
    const m = /^kuar:([a-z]+):/.exec(t);
    if (m && LAYER[m[1]!]) return LAYER[m[1]!]!;
  }
  return "program";
}

const num = (v: unknown, d = 0) => (typeof v === "number" ? v : d);
type Obj = Record<string, unknown>;

/** Node pools from a target's parsed settings (schema defaults applied). */
export function poolsOf(target: string, settings: unknown): Pool[] {
  const s = (settings ?? {}) as Obj;
  const list = (v: unknown) => (Array.isArray(v) ? (v as Obj[]) : []);
  switch (target) {
    case "local":
      return [
        { name: "kwok (simulated)", size: "kwok node", min: num(s["nodes"], 1), max: num(s["nodes"], 1), spot: false },
      ];
    case "gke": {
      const sys = (s["systemPool"] ?? {}) as Obj;
      return [
        {
          name: "system",
          size: String(sys["machineType"]),
          min: num(sys["minNodes"]),
          max: num(sys["maxNodes"]),
          spot: sys["spot"] === true,
        },
        ...list(s["workloadPools"]).map((p) => ({
          name: String(p["name"]),
          size: String(p["machineType"]),
          min: num(p["minNodes"]),
          max: num(p["maxNodes"]),
          spot: p["spot"] === true,
        })),
      ];
    }
    case "aks": {
      const sys = (s["systemPool"] ?? {}) as Obj;
      return [
        {
          name: "system",
          size: String(sys["vmSize"]),
          min: num(sys["minCount"]),
          max: num(sys["maxCount"]),
          spot: false,
        },
        ...list(s["workloadPools"]).map((p) => ({
          name: String(p["name"]),
          size: String(p["vmSize"]),
          min: num(p["minCount"]),
          max: num(p["maxCount"]),
          spot: p["spot"] === true,
        })),
      ];
    }
    case "eks":
      return list(s["nodeGroups"]).map((g) => ({
        name: String(g["name"]),
        size: (Array.isArray(g["instanceTypes"]) ? (g["instanceTypes"] as string[]) : []).join(", "),
        min: num(g["minSize"]),
        max: num(g["maxSize"]),
        spot: g["capacityType"] === "SPOT",
      }));
    case "raspberrypi": {
      const hosts = list(s["hosts"]);
      const by = (role: string) => hosts.filter((h) => h["role"] === role);
      return (["server", "agent"] as const)
        .filter((r) => by(r).length)
        .map((r) => ({
          name: `${r}s`,
          size: by(r)
            .map((h) => String(h["address"]))
            .join(", "),
          min: by(r).length,
          max: by(r).length,
          spot: false,
        }));
    }
    default:
      return [];
  }
}

/** The plan from a mock run (pure; tested directly). */
export function buildPlan(
  stack: string,
  target: string,
  settings: unknown,
  run: Pick<MockRun, "resources" | "exports">,
  secretsSet: string[],
): Plan {
  const layers: Record<string, Record<string, number>> = {};
  const generated: string[] = [];
  for (const r of run.resources) {
    if (r.inputs["kind"] === "kuar:RandomSecret") generated.push(r.name);
    // kuar's own components are structure; remote components (a Helm chart) are things installed.
    if (!r.custom && r.type.startsWith("kuar:")) continue;
    const type = r.type.startsWith("pulumi-nodejs:dynamic/") ? String(r.inputs["kind"] ?? r.type) : r.type;
    const l = (layers[layerOf(r)] ??= {});
    l[type] = (l[type] ?? 0) + 1;
  }
  const skipped = (Array.isArray(run.exports["skippedAddons"]) ? run.exports["skippedAddons"] : []) as Skip[];
  const skippedIds = new Set(skipped.map((s) => s.addon));
  return {
    stack,
    target,
    total: Object.values(layers).reduce((n, l) => n + Object.values(l).reduce((a, b) => a + b, 0), 0),
    layers,
    pools: poolsOf(target, settings),
    addons: { installed: ADDONS.filter((a) => !skippedIds.has(a)), skipped },
    secrets: { generated: generated.sort(), set: secretsSet.map((k) => k.replace(/^kuar:/, "")).sort() },
  };
}

export function planText(p: Plan): string[] {
  const lines = [`Plan for stack ${p.stack} (target ${p.target}): ${p.total} resources, offline (nothing was created)`];
  for (const layer of ["cluster", "bootstrap", "workloads", "program"]) {
    const types = p.layers[layer];
    if (!types) continue;
    const n = Object.values(types).reduce((a, b) => a + b, 0);
    lines.push(`  ${layer} (${n})`);
    for (const [t, c] of Object.entries(types).sort(([a], [b]) => a.localeCompare(b)))
      lines.push(`    ${String(c).padStart(3)}  ${t}`);
  }
  lines.push("Node pools");
  for (const pool of p.pools)
    lines.push(
      `  ${pool.name}: ${pool.size}, ${pool.min === pool.max ? pool.min : `${pool.min}-${pool.max}`} node(s)${pool.spot ? ", spot" : ""}`,
    );
  lines.push(`Add-ons installed: ${p.addons.installed.join(", ") || "none"}`);
  for (const s of p.addons.skipped) lines.push(`  skipped ${s.addon}: ${s.reason}`);
  lines.push(`Secrets generated at deploy time: ${p.secrets.generated.join(", ") || "none"}`);
  if (p.secrets.set.length) lines.push(`Secrets set in the stack (encrypted): ${p.secrets.set.join(", ")}`);
  return lines;
}

/** Plans a stack file; throws the config's problems (ConfigError) when it is invalid. */
export async function planStack(stack: string, file = stackFilePath(stack)): Promise<Plan> {
  if (!existsSync(file))
    throw new UsageError(`--stack ${stack}: no stack file ${file}. Create one with "kuar init --stack ${stack}".`);
  const { raw, secureKeys } = stackFileConfig(file);
  // Validated first, so an invalid stack reports its problems instead of a mock failure.
  const config = parseConfig(raw, { isSecret: (k) => secureKeys.includes(`kuar:${k}`) });
  // Encrypted values cannot be read offline; a placeholder stands in (they stay secrets).
  const flat = { ...raw, ...Object.fromEntries(secureKeys.map((k) => [k, "offline-placeholder-value-0123456789"])) };
  const run = await runUnderMocks({
    programUrl: new URL("../index.ts", import.meta.url),
    stack,
    config: flat,
    secretKeys: secureKeys,
  });
  return buildPlan(stack, config.target, config.settings, run, secureKeys);
}

export async function planCommand(ui: Ui, stack: string, json: boolean, file?: string): Promise<number> {
  try {
    const p = await planStack(stack, file);
    if (json) ui.out(JSON.stringify(p, null, 2));
    else for (const l of planText(p)) ui.out(l);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      if (json) ui.out(JSON.stringify({ stack, problems: e.problems }, null, 2));
      ui.error(e.message);
      return 1;
    }
    throw e;
  }
}
