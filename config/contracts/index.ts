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
  /** Tag or commit read. */
  tag: z.string().min(1),
  /**
   * The pinned version this source belongs to, when `tag` does not spell it: a commit (say
   * which release it builds in `note`), or a tag of another project that ships the pin (a
   * chart's appVersion). @default the version in `tag`
   */
  version: z.string().min(1).optional(),
  /**
   * How the text was read when not from the repository itself, e.g. "npm parse-server@8.2.4".
   * @default the repository
   */
  via: z.string().min(1).optional(),
  /**
   * Set only when the pinned version's source could not be read: why, and what was read
   * instead. The contracts tests fail when a source is not at the pin without this.
   */
  notAtPin: z.string().min(1).optional(),
  /** Anything else about where the fact was read. */
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

/** The version in a pin or tag: "redis:8.6.6-alpine" -> "8.6.6", "v1.12.4" -> "1.12.4", ":blue" -> "blue". */
export function versionOf(ref: string): string {
  const tag = ref.slice(Math.max(ref.lastIndexOf(":"), ref.lastIndexOf("/")) + 1);
  return /(\d+(?:\.\d+)+)/.exec(tag)?.[1] ?? tag;
}

const COMMIT = /^[0-9a-f]{7,40}$/;

/** The version a source was read at: its `version`, else the version its tag spells (a commit spells none). */
export function sourceVersion(s: Source): string | undefined {
  if (s.version !== undefined) return versionOf(s.version);
  return COMMIT.test(s.tag) ? undefined : versionOf(s.tag);
}

/**
 * Why a cited source does not stand for the pinned version, or nothing. A source is at the pin
 * when the version it was read at is the pin's; one that is not must say why (`notAtPin`), and
 * one that is must not carry a stale `notAtPin`.
 */
export function sourceProblem(where: string, pinVersion: string, s: Source): string | undefined {
  const at = sourceVersion(s);
  const cite = `${s.repo} ${s.path} at ${s.tag}`;
  if (at === pinVersion)
    return s.notAtPin === undefined
      ? undefined
      : `${where}: ${cite} is at the pinned ${pinVersion}; remove its notAtPin`;
  if (s.notAtPin !== undefined) return undefined;
  return at === undefined
    ? `${where}: ${cite} is a commit; say which release it is with "version" (the pin is ${pinVersion})`
    : `${where}: ${cite} is read at ${at}, but the pin is ${pinVersion}; re-read it at ${pinVersion} (or say why that cannot be done in notAtPin)`;
}
