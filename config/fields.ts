/**
 * Reusable field schemas with messages that say what is allowed and how to fix it.
 * Targets, add-ons and workloads build their schemas from these and from toolkit.ts.
 */
import { z } from "zod";
import { parseCidr } from "./cidr.js";
import { fix, matching, withFix } from "./toolkit.js";

// Callers import these from here; they live in the toolkit and the CIDR module.
export { cidrsOverlap, parseCidr, parseIPv4 } from "./cidr.js";
export { checkNoOverlap, matching } from "./toolkit.js";

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

/** Kubernetes label keys: an optional DNS prefix and `/`, then a name of at most 63 characters. */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export const labels = z.record(
  matching(
    LABEL_KEY,
    'expected a Kubernetes label key such as "team" or "example.com/team"',
    "Use letters, digits, '-', '_' and '.', at most 63 characters, optionally after a DNS prefix and '/'.",
  ).refine((k) => (k.split("/")[0]?.length ?? 0) <= 253 || !k.includes("/"), {
    message: "has a prefix longer than 253 characters",
    ...fix("Shorten the DNS prefix before the '/'."),
  }),
  matching(
    LABEL_VALUE,
    "expected a Kubernetes label value (at most 63 characters: letters, digits, '-', '_', '.', starting and ending alphanumeric)",
    "Use at most 63 letters, digits, '-', '_' and '.', or an empty string.",
  ),
);

export const taint = z.strictObject({
  key: withFix(
    z.string().min(1),
    'Give the taint a key such as "dedicated" or "example.com/gpu" (the part before "=" in kubectl taint).',
  ),
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
