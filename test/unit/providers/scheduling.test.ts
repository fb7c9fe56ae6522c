/**
 * Every answer set the wizard offers for AKS and GKE yields a cluster where kuar's own pods
 * schedule: some pool that can grow carries no taint kuar's pods would have to tolerate (they
 * tolerate none). Taints are the ones the clouds really put on nodes: AKS adds
 * kubernetes.azure.com/scalesetpriority=spot:NoSchedule to spot pools and kuar adds
 * CriticalAddonsOnly=true:NoSchedule to the AKS system pool; GKE adds no taint to spot nodes
 * (only the cloud.google.com/gke-spot label) and kuar taints no GKE pool.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseConfig } from "../../../config/load.js";
import { stackFileConfig } from "../../../config/stack-file.js";
import { schedulablePools } from "../../../providers/cloud/pools.js";
import { poolTaints } from "../../../providers/aks/plan.js";
import type { AksSettings } from "../../../providers/aks/schema.js";
import type { GkeSettings } from "../../../providers/gke/schema.js";
import { main } from "../../../wizard/main.js";
import { quietPreflight, scripted } from "../wizard/scripted.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the wizard with these answers and loads the written stack the way the program does. */
async function wizard(stack: string, script: Record<string, unknown>) {
  const stacksDir = mkdtempSync(join(tmpdir(), "kuar-sched-"));
  dirs.push(stacksDir);
  const s = scripted({ stack, ...script });
  const err: string[] = [];
  const code = await main([], {
    stacksDir,
    prompter: s.prompter,
    keyscan: async () => ({ error: "not scripted" }),
    preflight: quietPreflight(),
    pulumi: async () => ({ ensureStack: () => undefined, run: () => ({ status: 0, stderr: "" }) }),
    out: () => undefined,
    err: (l) => err.push(l),
    env: {},
    interactiveTerminal: true,
  });
  assert.equal(code, 0, [...err, ...s.said].join("\n"));
  const { raw, secureKeys } = stackFileConfig(join(stacksDir, `Pulumi.${stack}.yaml`));
  return parseConfig(raw, { isSecret: (k) => secureKeys.includes(`kuar:${k}`) });
}

const answerSets = [
  { spot: false, minCount: "1" },
  { spot: false, minCount: "0" },
  { spot: true, minCount: "0" },
  { spot: true, minCount: "1" },
];

describe("wizard answers schedule kuar's pods", () => {
  for (const stack of ["aks-dev", "aks-prod"]) {
    for (const a of answerSets) {
      test(`aks ${stack} spot=${a.spot} minCount=${a.minCount}`, async () => {
        const c = await wizard(stack, { target: "aks", "aks.spot": a.spot, "aks.minCount": a.minCount });
        const s = c.settings as AksSettings;
        const pools = [s.systemPool, ...s.workloadPools].map((p) => ({
          name: p.name,
          max: p.maxCount,
          taints: poolTaints(p, p.mode === "System" && s.systemPoolCriticalAddonsOnly),
        }));
        const where = schedulablePools(pools, []).map((p) => p.name);
        assert.ok(where.length > 0, `no pool without taints: ${JSON.stringify(pools)}`);
        if (a.spot) assert.deepEqual(where, ["system"], "spot answer: the untainted system pool takes kuar's pods");
      });
    }
  }
  for (const stack of ["gke-dev", "gke-prod"]) {
    for (const a of answerSets) {
      test(`gke ${stack} spot=${a.spot} minNodes=${a.minCount}`, async () => {
        const c = await wizard(stack, {
          target: "gke",
          "gke.project": "kuar-dev-123456",
          "gke.spot": a.spot,
          "gke.minNodes": a.minCount,
        });
        const s = c.settings as GkeSettings;
        const pools = [s.systemPool, ...s.workloadPools].map((p) => ({
          name: p.name,
          max: p.maxNodes,
          taints: p.taints,
        }));
        assert.ok(schedulablePools(pools, []).length > 0, JSON.stringify(pools));
      });
    }
  }
});
