/** The shared checks: overlap between named ranges, node pool bounds and names, Pod range capacity. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { z } from "zod";
import { cidrsOverlap, formatCidr, formatIPv4, parseCidr } from "../../../config/cidr.js";
import { checkNoOverlap, checkPodRangeCapacity, checkPools, issuer, type Issue } from "../../../config/toolkit.js";

interface Recorded {
  path: (string | number)[];
  message: string;
  fix: string;
}

function record(): { issue: Issue; found: Recorded[] } {
  const found: Recorded[] = [];
  return { issue: (path, _input, message, fix) => found.push({ path, message, fix }), found };
}

const cidr = fc
  .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 8, max: 30 }))
  .map(([a, p]) => formatCidr(parseCidr(`${formatIPv4(a)}/${p}`)!.base, p));

describe("checkNoOverlap", () => {
  test("reports exactly the overlapping pairs, each once, at the later entry", () => {
    fc.assert(
      fc.property(fc.array(cidr, { minLength: 0, maxLength: 6 }), (cidrs) => {
        const schema = z.unknown().superRefine((_, ctx) =>
          checkNoOverlap(
            ctx,
            cidrs.map((c, i) => ({ path: [`r${i}`], cidr: c })),
          ),
        );
        const issues = schema.safeParse(null).error?.issues ?? [];
        let pairs = 0;
        for (let i = 0; i < cidrs.length; i++)
          for (let j = i + 1; j < cidrs.length; j++) if (cidrsOverlap(cidrs[i]!, cidrs[j]!)) pairs++;
        assert.equal(issues.length, pairs);
        for (const i of issues) assert.match(i.message, /^overlaps r\d+ \(/);
      }),
    );
  });
});

describe("checkPools", () => {
  const keys = { min: "minCount", max: "maxCount" };

  test("fails when a pool's floor exceeds its ceiling, naming both fields", () => {
    const { issue, found } = record();
    checkPools(issue, [{ path: ["systemPool"], name: "system", min: 4, max: 2 }], keys);
    assert.deepEqual(found, [
      {
        path: ["systemPool", "minCount"],
        message: "must not exceed maxCount (2)",
        fix: "Lower minCount or raise maxCount to at least 4.",
      },
    ]);
  });

  test("fails when two pools share a name, pointing at the first", () => {
    const { issue, found } = record();
    checkPools(
      issue,
      [
        { path: ["systemPool"], name: "a", min: 1, max: 1 },
        { path: ["workloadPools", 0], name: "b", min: 1, max: 1 },
        { path: ["workloadPools", 1], name: "a", min: 1, max: 1 },
      ],
      keys,
    );
    assert.deepEqual(
      found.map((f) => [f.path, f.message]),
      [[["workloadPools", 1, "name"], "duplicates the name of systemPool"]],
    );
  });

  test("reports one issue per bad floor and per repeated name, nothing else", () => {
    const pool = fc.record({ name: fc.constantFrom("a", "b", "c"), min: fc.nat(5), max: fc.nat(5) });
    fc.assert(
      fc.property(fc.array(pool, { maxLength: 6 }), (pools) => {
        const { issue, found } = record();
        checkPools(
          issue,
          pools.map((p, i) => ({ ...p, path: ["pools", i] })),
          keys,
        );
        const bad = pools.filter((p) => p.min > p.max).length;
        const repeats = pools.length - new Set(pools.map((p) => p.name)).size;
        assert.equal(found.length, bad + repeats);
      }),
    );
  });
});

describe("checkPodRangeCapacity", () => {
  const at = (cidr: string, maxNodes: number) => {
    const { issue, found } = record();
    checkPodRangeCapacity(issue, { path: ["podCidr"], cidr, maxNodes, maxKey: "maxCount", example: "10.244.0.0/16" });
    return found;
  };

  test("fails when the Pod range is smaller than one node's /24", () => {
    assert.match(at("10.244.0.0/25", 1)[0]!.message, /must be a \/24 or larger/);
  });

  test("fails when the pools may grow past the nodes the range serves", () => {
    const [f] = at("10.244.0.0/22", 5);
    assert.match(f!.message, /holds Pod ranges for 4 nodes .* but the pools allow 5/);
    assert.match(f!.fix, /lower maxCount/);
  });

  test("accepts exactly as many nodes as the range serves, and leaves malformed ranges to the field check", () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 24 }), (p) => {
        assert.deepEqual(at(`10.0.0.0/${p}`, 2 ** (24 - p)), []);
        assert.equal(at(`10.0.0.0/${p}`, 2 ** (24 - p) + 1).length, 1);
      }),
    );
    assert.deepEqual(at("not a cidr", 1000), []);
  });

  test("issuer writes custom issues carrying the fix", () => {
    const schema = z.unknown().superRefine((_, ctx) => issuer(ctx)(["a"], 1, "is wrong", "Do this."));
    const [i] = schema.safeParse(0).error!.issues;
    assert.deepEqual(
      [i!.code, i!.path, (i as { params?: { fix?: string } }).params?.fix],
      ["custom", ["a"], "Do this."],
    );
  });
});
