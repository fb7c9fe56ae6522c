/**
 * Reusable field schemas with messages that say what is allowed and how to fix it.
 * Targets, add-ons and workloads build their schemas from these.
 */
import { z } from "zod";

const fix = (text: string) => ({ params: { fix: text } });

/**
 * A string matching `pattern`. Built on refine because zod keeps custom params (our `fix`)
 * only on custom issues.
 */
export function matching(pattern: RegExp, message: string, fixText: string) {
  return z.string().refine((s) => pattern.test(s), { message, ...fix(fixText) });
}

/** An IPv4 CIDR such as `10.0.0.0/16`. */
export const cidr = z.string().refine((s) => parseCidr(s) !== undefined, {
  message: 'expected an IPv4 CIDR such as "10.0.0.0/16"',
  ...fix("Write four octets, a slash and a prefix length from 0 to 32."),
});

/** A DNS-1123 label (Kubernetes names, node names, namespaces). */
export const dnsLabel = matching(
  /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  "expected a lowercase DNS label (a-z, 0-9 and '-', at most 63 characters, starting and ending alphanumeric)",
  "Use lowercase letters, digits and dashes.",
);

export const labels = z.record(
  z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    message: "expected a Kubernetes label key",
  }),
  z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, {
    message: "expected a Kubernetes label value (at most 63 characters: letters, digits, '-', '_', '.')",
  }),
);

export const taint = z.strictObject({
  key: z.string().min(1),
  value: z.string().default(""),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});
export type Taint = z.infer<typeof taint>;

/** A Kubernetes quantity such as `500m`, `1Gi`, `2`. */
export const quantity = matching(
  /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/,
  'expected a Kubernetes quantity such as "250m", "512Mi" or "2"',
  "Use a number with an optional unit (m, Ki, Mi, Gi, Ti).",
);

export function parseCidr(s: string): { base: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base: ip - (ip % 2 ** (32 - prefix)), prefix };
}

export function parseIPv4(s: string): number | undefined {
  return parseCidr(`${s}/32`)?.base;
}

/** True when two CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const xEnd = x.base + 2 ** (32 - x.prefix);
  const yEnd = y.base + 2 ** (32 - y.prefix);
  return x.base < yEnd && y.base < xEnd;
}

/** Adds an issue for each overlapping pair among named CIDRs. */
export function checkNoOverlap(
  ctx: z.RefinementCtx,
  entries: { path: (string | number)[]; cidr: string | undefined }[],
): void {
  const present = entries.filter((e): e is { path: (string | number)[]; cidr: string } => !!e.cidr);
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      const [a, b] = [present[i]!, present[j]!];
      if (cidrsOverlap(a.cidr, b.cidr)) {
        ctx.addIssue({
          code: "custom",
          path: b.path,
          input: b.cidr,
          message: `overlaps ${a.path.join(".")} (${a.cidr})`,
          params: { fix: "Pick ranges that do not share addresses." },
        });
      }
    }
  }
}
