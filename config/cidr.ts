/**
 * IPv4 address and range arithmetic, shared by every schema and plan that checks or derives
 * network ranges. Addresses are plain numbers (0 to 2^32-1), so containment and overlap are
 * comparisons of half-open intervals.
 */

/** A parsed CIDR: the network address (host bits cleared) and the prefix length. */
export interface Cidr {
  base: number;
  prefix: number;
}

/** `"10.0.0.0/16"` -> `{ base: 167772160, prefix: 16 }`; undefined when malformed. Host bits are cleared. */
export function parseCidr(s: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base: ip - (ip % 2 ** (32 - prefix)), prefix };
}

/** `"10.96.0.10"` -> its number; undefined when malformed. */
export function parseIPv4(s: string): number | undefined {
  return parseCidr(`${s}/32`)?.base;
}

/** `167772170` -> `"10.0.0.10"`. */
export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** `(167772160, 16)` -> `"10.0.0.0/16"`. */
export function formatCidr(base: number, prefix: number): string {
  return `${formatIPv4(base)}/${prefix}`;
}

/** The network address form of a CIDR (`10.0.0.1/16` -> `10.0.0.0/16`); undefined when malformed. */
export function canonicalCidr(s: string): string | undefined {
  const c = parseCidr(s);
  return c && formatCidr(c.base, c.prefix);
}

/** Number of addresses in a prefix length. */
export function cidrSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** First and one-past-last address of a CIDR. */
export function cidrInterval(c: Cidr): { start: number; end: number } {
  return { start: c.base, end: c.base + cidrSize(c.prefix) };
}

/** True when `inner` lies entirely inside `outer`; false when either is malformed. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i || i.prefix < o.prefix) return false;
  return i.base >= o.base && i.base + cidrSize(i.prefix) <= o.base + cidrSize(o.prefix);
}

/** True when the address lies inside the CIDR. */
export function addressIn(cidr: Cidr, address: number): boolean {
  const { start, end } = cidrInterval(cidr);
  return address >= start && address < end;
}

/** True when two CIDRs share any address; false when either is malformed. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const [p, q] = [cidrInterval(x), cidrInterval(y)];
  return p.start < q.end && q.start < p.end;
}

/**
 * How many nodes a Pod range serves when every node takes one `/perNodePrefix` of it
 * (GKE and AKS overlay give each node a /24). Zero when the range is smaller than one node's share.
 */
export function podRangeCapacity(podCidr: Cidr, perNodePrefix = 24): number {
  return podCidr.prefix > perNodePrefix ? 0 : 2 ** (perNodePrefix - podCidr.prefix);
}

/** The first and last address of `a.b.c.d-a.b.c.e` or of a CIDR; undefined when malformed. */
export function parseAddressRange(s: string): { start: number; end: number } | undefined {
  if (s.includes("/")) {
    const c = parseCidr(s);
    return c && { start: c.base, end: c.base + cidrSize(c.prefix) - 1 };
  }
  const parts = s.split("-").map((p) => p.trim());
  if (parts.length !== 2) return undefined;
  const [start, end] = parts.map((p) => parseIPv4(p));
  return start === undefined || end === undefined ? undefined : { start, end };
}
