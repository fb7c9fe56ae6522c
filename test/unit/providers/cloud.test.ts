import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { maintenanceWindow, hoursIn } from "../../../providers/cloud/maintenance.js";
import { defaultClusterName, protection } from "../../../providers/cloud/naming.js";
import { archOfPools, checkPools, schedulablePools, taintString, tolerates } from "../../../providers/cloud/pools.js";

describe("providers/cloud", () => {
  test("defaultClusterName fits the cloud's limit without a trailing dash", () => {
    assert.equal(defaultClusterName("dev", 40), "kuar-dev");
    const long = defaultClusterName("org/" + "a".repeat(33) + "-bbbb", 40);
    assert.ok(long.length <= 40 && !long.endsWith("-"), long);
  });

  test("protection is off on ephemeral stacks whatever the setting", () => {
    assert.deepEqual(protection(true, false), { protect: true, deletionProtection: true });
    assert.deepEqual(protection(true, true), { protect: false, deletionProtection: false });
    assert.deepEqual(protection(false, false), { protect: false, deletionProtection: false });
  });

  test("taints and arch", () => {
    assert.equal(taintString({ key: "a", value: "b", effect: "NoSchedule" }), "a=b:NoSchedule");
    assert.equal(taintString({ key: "a", value: "", effect: "NoExecute" }), "a:NoExecute");
    assert.equal(archOfPools([{ arch: "arm64" }, { arch: "amd64" }]), "mixed");
    assert.equal(archOfPools([]), "amd64");
  });

  test("tolerations follow the Kubernetes matching rules", () => {
    const spot = { key: "kubernetes.azure.com/scalesetpriority", value: "spot", effect: "NoSchedule" } as const;
    assert.equal(tolerates([], [spot]), false);
    assert.equal(tolerates([{ key: spot.key, operator: "Exists" }], [spot]), true);
    assert.equal(tolerates([{ key: spot.key, operator: "Equal", value: "regular" }], [spot]), false);
    assert.equal(tolerates([{ operator: "Exists" }], [spot]), true);
    assert.equal(tolerates([], [{ ...spot, effect: "PreferNoSchedule" }]), true);
    const pools = [
      { name: "a", max: 3, taints: [spot] },
      { name: "b", max: 0, taints: [] },
    ];
    assert.deepEqual(schedulablePools(pools), []);
  });

  test("fails when pools are out of bounds, share a name or the system pool can be empty", () => {
    const schema = z.array(z.object({ name: z.string(), min: z.number(), max: z.number() })).superRefine((ps, ctx) =>
      checkPools(
        ctx,
        ps.map((p, i) => ({ ...p, path: [i], system: i === 0 })),
        { section: "aks", min: "minCount", max: "maxCount" },
      ),
    );
    const r = schema.safeParse([
      { name: "sys", min: 0, max: 2 },
      { name: "sys", min: 4, max: 2 },
    ]);
    assert.equal(r.success, false);
    const messages = r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    assert.deepEqual(messages.sort(), [
      "0.minCount: must be at least 1 (cluster DNS and the cloud's own add-ons need a system node)",
      "1.minCount: must not exceed maxCount (2)",
      "1.name: duplicates the name of 0",
    ]);
  });

  test("maintenance window hours", () => {
    const w = maintenanceWindow.parse({});
    assert.deepEqual(w, { day: "Sunday", startTime: "02:00", durationHours: 4 });
    assert.equal(hoursIn(w, 32), 16);
    assert.equal(hoursIn({ ...w, day: "Daily" }, 32), 128);
    assert.equal(maintenanceWindow.safeParse({ startTime: "24:00" }).success, false);
  });
});
