/** Pure helpers of `npm run bench` (scripts/bench.ts), tested in test/unit/scripts/bench.test.ts. */

/** Pulumi's marker of a secret value in an exported state (apitype SecretV1). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/**
 * The plain value of an exported (`stack export --show-secrets`) state value: every secret
 * envelope `{ <sig>: ..., plaintext: "<json>" }` replaced by what it holds. Left wrapped,
 * kubectl would send the envelope as the object's data, and the SDK reads it as a secret without
 * a value ("unexpected undefined property value during deserialization").
 */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (SECRET_SIG in o) {
    if (typeof o["plaintext"] !== "string") {
      throw new Error("a secret in the exported state is not decrypted (export with --show-secrets)");
    }
    return unwrapSecrets(JSON.parse(o["plaintext"]));
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
}

/** The median of some samples (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error("median of no samples");
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

const s2 = (x: number) => x.toFixed(2);
const range = (xs: number[]) => `${s2(Math.min(...xs))}-${s2(Math.max(...xs))}`;

/** The bench table's header lines: medians, ratios of medians, and each side's range of runs. */
export const TABLE_HEADER = [
  "| step | kuar | bare Pulumi | kubectl | kuar / bare | kuar / kubectl | range: kuar, bare, kubectl |",
  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
];

/**
 * One row of the bench table from the samples of a step. The ranges are there because this kind
 * of machine can take twice as long for the same run from one minute to the next: a ratio whose
 * ranges overlap says less than its digits suggest.
 */
export function tableRow(step: string, kuar: number[], bare: number[], kubectl: number[]): string {
  const [k, b, c] = [median(kuar), median(bare), median(kubectl)];
  const ranges = [kuar, bare, kubectl].map(range).join(", ");
  return `| ${step} | ${s2(k)} | ${s2(b)} | ${s2(c)} | ${(k / b).toFixed(2)}x | ${(k / c).toFixed(1)}x | ${ranges} |`;
}

/** The machine's CPU counters from /proc/stat's first line: jiffies spent busy, and in all. */
export function cpuTimes(procStat: string): { busy: number; total: number } {
  const line = procStat.split("\n", 1)[0] ?? "";
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== "cpu" || fields.length < 5) throw new Error(`not a /proc/stat cpu line: ${line}`);
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields.slice(1, 9).map(Number);
  const busy = user! + nice! + system! + irq + softirq + steal;
  return { busy, total: busy + idle! + iowait };
}

/** The share of the whole machine (all cores) that was busy between two readings, 0 to 1. */
export function busyShare(before: { busy: number; total: number }, after: { busy: number; total: number }): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}
