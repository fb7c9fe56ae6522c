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
