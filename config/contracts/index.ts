/**
 * Upstream contracts: one JSON record per pinned image (`images/`) or chart (`charts/`) holding
 * the facts kuar relies on, each citing where it was read (repository, path, tag or commit). The
 * record names the pin it was read for, so a changed pin without a re-read record fails the
 * contracts tests. Facts only, in kuar's own words; never upstream code.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Where a fact was read. */
export const sourceSchema = z.strictObject({
  /** `owner/name` on GitHub. */
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  /** File inside the repository. */
  path: z.string().min(1),
  /** Tag or commit read; when it is not the pinned version itself, `note` says why. */
  tag: z.string().min(1),
  /** Why this source stands for the pin, when it is not the pin's own tag. */
  note: z.string().optional(),
});
export type Source = z.output<typeof sourceSchema>;

/** A fact and its source. */
export const cited = <T extends z.ZodType>(value: T) => z.strictObject({ value, source: sourceSchema });

/** A record: the pin it describes, and its facts. */
export const contractSchema = <F extends z.ZodType>(facts: F) =>
  z.strictObject({
    /** The exact value in config/versions.json this record was read for. */
    pin: z.string().min(1),
    facts,
  });

const root = dirname(fileURLToPath(import.meta.url));

/** Every `<kind>/<name>.json` record, validated; an invalid record throws naming its file. */
export function loadContracts<T>(kind: "images" | "charts", schema: z.ZodType<T>): Record<string, T> {
  const dir = join(root, kind);
  const out: Record<string, T> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const parsed = schema.safeParse(JSON.parse(readFileSync(join(dir, file), "utf8")));
    if (!parsed.success) throw new Error(`config/contracts/${kind}/${file}: ${z.prettifyError(parsed.error)}`);
    out[file.replace(/\.json$/, "")] = parsed.data;
  }
  return out;
}
