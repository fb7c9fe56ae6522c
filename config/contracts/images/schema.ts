/**
 * The facts recorded for a pinned image (one `<versions.json key>.json` beside this file). The
 * contracts tests hold every rendered container to them.
 */
import { z } from "zod";
import { cited, contractSchema } from "../index.js";

const argv = z.array(z.string()).nullable();

/** How a variable's value is read: what makes a rendered value right or wrong. */
export const envParse = z.enum([
  /** Taken as is. */
  "string",
  /** Any value at all turns it on ("false" and "0" too): set it only to turn it on. */
  "presence",
  /** Split on "," with no trimming. */
  "comma-list",
  /** JSON.parse. */
  "json",
  /** A decimal number. */
  "number",
  /** nconf parseValues: JSON where it parses, else the string. */
  "nconf",
]);

export const imageFactsSchema = z.strictObject({
  /** ENTRYPOINT, null when there is none. */
  entrypoint: cited(argv),
  /** CMD, null when there is none. */
  cmd: cited(argv),
  /**
   * What the entrypoint does with arguments. "exec": runs the first argument as a program,
   * prepending `flagsGoTo` when it starts with "-"; "flags": the entrypoint is the program and
   * arguments are its flags; "none": there is no entrypoint, the first argument is the program.
   */
  entrypointArgs: cited(z.strictObject({ mode: z.enum(["exec", "flags", "none"]), flagsGoTo: z.string().optional() })),
  /** The user the image's files and volumes belong to. */
  user: cited(z.strictObject({ name: z.string(), uid: z.number().int().min(0), gid: z.number().int().min(0) })),
  /** Ports it listens on. */
  ports: cited(z.array(z.number().int())),
  /** Programs present (on PATH, or absolute), for commands, scripts and exec probes. */
  tools: cited(z.array(z.string().min(1))),
  /** Paths each program writes; `$HOME` is the container's HOME (or `defaultEnv.HOME`). */
  writes: cited(z.record(z.string(), z.array(z.string()))),
  /** ENV the image sets that kuar depends on. */
  defaultEnv: cited(z.record(z.string(), z.string())).optional(),
  /** Environment variables it reads, and how. */
  env: cited(z.array(z.strictObject({ name: z.string(), reader: z.string(), parse: envParse }))),
  /** Variables read by pattern (Ghost's nconf): names matching `pattern` whose first segment is a known key. */
  envPattern: cited(
    z.strictObject({ pattern: z.string(), parse: envParse, topLevelKeys: z.array(z.string()) }),
  ).optional(),
  /** Groups of variables of which at most one may be set (the program exits otherwise). */
  envExclusive: cited(z.array(z.array(z.string()))).optional(),
  /** Flags each program accepts, where kuar passes flags. */
  flags: cited(z.record(z.string(), z.array(z.string()))).optional(),
  /** Settings the program defaults to that kuar overrides on purpose. */
  defaults: cited(z.record(z.string(), z.unknown())).optional(),
  /** File capabilities on the binary, which must stay in the container's bounding set. */
  fileCapabilities: cited(z.array(z.string())).optional(),
});

export const imageContractSchema = contractSchema(imageFactsSchema).extend({
  /** The pin: one reference, or one per architecture. */
  pin: z.union([z.string(), z.strictObject({ amd64: z.string(), arm64: z.string() })]),
});
export type ImageContract = z.output<typeof imageContractSchema>;
export type ImageFacts = ImageContract["facts"];
