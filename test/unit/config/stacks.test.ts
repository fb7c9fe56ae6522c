/**
 * Every example stack validates, and every target has one: a file in stacks/, or a complete stack
 * file (a yaml block with `kuar:target: <name>`) in its guide, so a new target needs no shared file.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { stackFileConfig } from "../../../config/stack-file.js";
import { targetNames } from "../../../providers/registry.js";
import { ConfigError } from "../../../config/errors.js";
import { parseConfig } from "../../../schema.js";

const dir = join(import.meta.dirname, "..", "..", "..", "stacks");
const files = readdirSync(dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
const seen = new Set<string>();

for (const f of files) {
  test(`stacks/${f} validates`, () => {
    const { raw, secureKeys } = stackFileConfig(join(dir, f));
    const c = parseConfig(raw, { isSecret: (k) => secureKeys.includes(`kuar:${k}`) });
    seen.add(c.target);
  });
}

// Guides of targets with a stack file may show fragments with placeholders; only the others are run.
const inStacks = new Set(files.map((f) => /kuar:target: (\S+)/.exec(readFileSync(join(dir, f), "utf8"))?.[1]));
for (const name of targetNames.filter((n) => !inStacks.has(n))) {
  const guide = readFileSync(join(dir, "..", "docs", "targets", `${name}.md`), "utf8");
  for (const [i, m] of [...guide.matchAll(/```yaml\n([\s\S]*?)```/g)].entries()) {
    const doc = parse(m[1]!) as { config?: Record<string, unknown> } | null;
    if (doc?.config?.["kuar:target"] !== name) continue;
    test(`the example stack in docs/targets/${name}.md (block ${i + 1}) validates`, () => {
      const raw: Record<string, string> = {};
      const secure: string[] = [];
      for (const [k, v] of Object.entries(doc.config!)) {
        if (v && typeof v === "object" && "secure" in v) secure.push(k);
        else raw[k] = typeof v === "string" ? v : JSON.stringify(v);
      }
      try {
        seen.add(parseConfig(raw, { isSecret: (k) => secure.includes(`kuar:${k}`) }).target);
      } catch (e) {
        // The existing target predicts its capabilities by asking its cluster (read-only), which
        // this machine does not have: that one problem is expected here, and nothing else.
        if (!(e instanceof ConfigError) || name !== "existing") throw e;
        assert.deepEqual(
          e.problems.filter((p) => !p.message.startsWith("could not reach the cluster")),
          [],
          e.message,
        );
        seen.add(name);
      }
    });
  }
}

test("every target has an example stack", () => {
  assert.deepEqual([...seen].sort(), [...targetNames].sort(), `example stacks cover ${[...seen].join(", ")}`);
});
