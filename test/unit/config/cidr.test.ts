/**
 * Property tests of the IPv4 range arithmetic every schema and plan relies on, in the manner of
 * pulumi-awsx's subnetDistributorNew.test.ts: state the invariant, let fast-check hunt for a
 * counterexample. Addresses are compared against a brute-force model on small ranges.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  addressIn,
  canonicalCidr,
  cidrContains,
  cidrInterval,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  formatIPv4,
  parseAddressRange,
  parseCidr,
  parseIPv4,
  podRangeCapacity,
} from "../../../config/cidr.js";

const address = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const prefix = fc.integer({ min: 0, max: 32 });
/** Any CIDR text, host bits possibly set. */
const cidrText = fc.tuple(address, prefix).map(([a, p]) => `${formatIPv4(a)}/${p}`);
/** A CIDR and one inside it (a longer prefix at an offset within the outer range). */
const nested = fc
  .tuple(
    address,
    prefix,
    fc.integer({ min: 0, max: 32 }),
    fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  )
  .map(([a, p, extra, at]) => {
    const outer = parseCidr(`${formatIPv4(a)}/${p}`)!;
    const innerPrefix = Math.min(32, p + extra);
    const slots = 2 ** (innerPrefix - p);
    const inner = outer.base + Math.floor(at * slots) * cidrSize(innerPrefix);
    return { outer: formatCidr(outer.base, p), inner: formatCidr(inner, innerPrefix) };
  });

describe("IPv4 ranges", () => {
  test("formatting and parsing an address round-trip", () => {
    fc.assert(fc.property(address, (a) => parseIPv4(formatIPv4(a)) === a));
  });

  test("a parsed CIDR is its network address: aligned to its size and canonical", () => {
    fc.assert(
      fc.property(cidrText, (s) => {
        const c = parseCidr(s)!;
        assert.equal(c.base % cidrSize(c.prefix), 0);
        assert.equal(canonicalCidr(canonicalCidr(s)!), canonicalCidr(s));
        assert.ok(addressIn(c, parseIPv4(s.split("/")[0]!)!), "the written address lies in its own range");
      }),
    );
  });

  test("malformed text is rejected, never misread", () => {
    for (const s of ["10.0.0.0", "10.0.0.0/33", "256.0.0.0/8", "10.0.0/8", "10.0.0.0/-1", " 10.0.0.0/8", "a.b.c.d/8"]) {
      assert.equal(parseCidr(s), undefined, s);
    }
    assert.equal(cidrContains("10.0.0.0/8", "nope"), false);
    assert.equal(cidrsOverlap("nope", "10.0.0.0/8"), false);
  });

  test("every CIDR built inside another is contained by it, and overlaps it", () => {
    fc.assert(
      fc.property(nested, ({ outer, inner }) => {
        assert.ok(cidrContains(outer, inner), `${inner} in ${outer}`);
        assert.ok(cidrsOverlap(outer, inner));
      }),
    );
  });

  test("containment is reflexive, and antisymmetric up to equality", () => {
    fc.assert(
      fc.property(cidrText, cidrText, (a, b) => {
        assert.ok(cidrContains(a, a));
        if (cidrContains(a, b) && cidrContains(b, a)) assert.equal(canonicalCidr(a), canonicalCidr(b));
      }),
    );
  });

  test("overlap is symmetric, and for CIDRs the same as one containing the other", () => {
    fc.assert(
      fc.property(cidrText, cidrText, (a, b) => {
        assert.equal(cidrsOverlap(a, b), cidrsOverlap(b, a));
        assert.equal(cidrsOverlap(a, b), cidrContains(a, b) || cidrContains(b, a));
      }),
    );
  });

  test("containment and overlap agree with counting shared addresses (small ranges)", () => {
    // Ranges of at most 256 addresses near each other, so the model can enumerate them.
    const small = fc
      .tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 24, max: 32 }))
      .map(([a, p]) => formatCidr(parseCidr(`${formatIPv4(167772160 + a)}/${p}`)!.base, p));
    fc.assert(
      fc.property(small, small, (a, b) => {
        const [x, y] = [cidrInterval(parseCidr(a)!), cidrInterval(parseCidr(b)!)];
        let shared = 0;
        for (let n = y.start; n < y.end; n++) if (n >= x.start && n < x.end) shared++;
        assert.equal(cidrsOverlap(a, b), shared > 0);
        assert.equal(cidrContains(a, b), shared === y.end - y.start);
      }),
    );
  });

  test("a Pod range serves 2^(24 - prefix) nodes at a /24 each, and none below a /24", () => {
    fc.assert(
      fc.property(cidrText, fc.integer({ min: 16, max: 28 }), (s, per) => {
        const c = parseCidr(s)!;
        const n = podRangeCapacity(c, per);
        if (c.prefix > per) assert.equal(n, 0);
        else assert.equal(n * cidrSize(per), cidrSize(c.prefix), "the node shares tile the range exactly");
      }),
    );
  });

  test("an address range is the same span written as a CIDR or as first-last", () => {
    fc.assert(
      fc.property(cidrText, (s) => {
        const c = parseCidr(s)!;
        const { start, end } = cidrInterval(c);
        const dashed = `${formatIPv4(start)}-${formatIPv4(end - 1)}`;
        assert.deepEqual(parseAddressRange(formatCidr(c.base, c.prefix)), parseAddressRange(dashed));
      }),
    );
  });
});
