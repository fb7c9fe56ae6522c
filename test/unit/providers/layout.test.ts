/**
 * The layout rules that keep one place per idea, checked over the source so they cannot regress:
 * only providers/ names a target, the registry alone loads a target's modules, dynamic providers
 * live in `*.provider.ts` files, and scripts/ uses the shared kit/, never test/.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { test } from "node:test";
import { targetNames } from "../../../providers/registry.js";
import { code, files, imports } from "../source.js";

test("the wizard names no target: its questions, checks and lists come from the registry and the schemas", () => {
  const named = files("wizard").flatMap((f) =>
    targetNames.filter((t) => new RegExp(`["'\`]${t}["'\`]`).test(code(f))).map((t) => `${f}: ${t}`),
  );
  assert.deepEqual(named, []);
  const reachesIn = files("wizard").flatMap((f) =>
    imports(f)
      .filter((to) => /^providers\/[^/]+\//.test(to) && !to.startsWith("providers/cloud/"))
      .map((to) => `${f} -> ${to}`),
  );
  assert.deepEqual(reachesIn, [], "the wizard imports no target's folder");
  // What only one target needs (its host keys) lives in that target's folder.
  const hostKeys = files("wizard").filter((f) => /ssh-keyscan|parseHostKey|ssh-ed25519/.test(code(f)));
  assert.deepEqual(hostKeys, [], "the wizard reads no host keys itself");
});

test("only the registry loads a target's index.ts or setup.ts, so no info.ts/index.ts cycle exists", () => {
  const loaders = files("providers").filter((f) =>
    imports(f).some((to) => /^providers\/[^/]+\/(index|setup)\.js$/.test(to) && dirname(to) !== dirname(f)),
  );
  assert.deepEqual(loaders, ["providers/registry.ts"]);
  const cycles = targetNames.filter((t) =>
    imports(`providers/${t}/info.ts`).some((to) => to === `providers/${t}/index.js`),
  );
  assert.deepEqual(cycles, []);
});

test("every dynamic provider lives in a *.provider.ts file, and every module provider names one", () => {
  const all = [...files("providers"), ...files("common"), ...files("bootstrap"), ...files("workloads")];
  // common/dynamic.ts is the loader that turns those files into providers by their path.
  const defining = all.filter(
    (f) => f !== "common/dynamic.ts" && /:\s*pulumi\.dynamic\.ResourceProvider\b/.test(code(f)),
  );
  assert.ok(defining.length >= 4, `found ${defining.join(", ")}`);
  assert.deepEqual(
    defining.filter((f) => !f.endsWith(".provider.ts")),
    [],
  );
  const named = all.flatMap((f) => [...code(f).matchAll(/moduleProvider\(\s*"([^"]+)"/g)].map((m) => m[1]!));
  assert.ok(named.length >= 3);
  assert.deepEqual(
    named.filter((p) => !p.endsWith(".provider.ts")),
    [],
  );
});

test("scripts/ imports nothing from test/ (the shared pieces are in kit/)", () => {
  const bad = files("scripts").flatMap((f) =>
    imports(f)
      .filter((to) => to.startsWith("test/"))
      .map((to) => `${f} -> ${to}`),
  );
  assert.deepEqual(bad, []);
  const kit = files("kit").flatMap((f) =>
    imports(f)
      .filter((to) => to.startsWith("test/"))
      .map((to) => `${f} -> ${to}`),
  );
  assert.deepEqual(kit, [], "kit/ is below test/, never the other way");
});
