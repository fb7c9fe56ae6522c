/**
 * A generated secret that stays the same across runs: created once, kept in state (encrypted,
 * as a Pulumi secret) and replaced only when its length or alphabet changes. Stands in for
 * @pulumi/random, whose provider plugin cannot be built on machines without it (see toolchain/README.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { ModuleResource, moduleProvider } from "./dynamic.js";
import type { Alphabet } from "./random-secret.provider.js";

export interface RandomSecretArgs {
  /** Characters. @default 32 */
  length?: number;
  /** Character set. @default "alnum" */
  alphabet?: Alphabet;
}

const provider = moduleProvider("common/random-secret.provider.ts", ["create", "diff"]);

export class RandomSecret extends ModuleResource {
  /** The generated value; always a secret. */
  declare readonly value: pulumi.Output<string>;

  constructor(name: string, args: RandomSecretArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { kind: "kuar:RandomSecret", length: args.length ?? 32, alphabet: args.alphabet ?? "alnum", value: undefined },
      { ...opts, additionalSecretOutputs: ["value"] },
      "kuar",
      "RandomSecret",
    );
    // additionalSecretOutputs encrypts it in state; wrapping keeps it secret for consumers even
    // where no engine applies that option (unit tests).
    this.value = pulumi.secret(this.value);
  }
}

/** A supplied secret when given, else a generated one that is stable across runs. */
export function secretOrGenerated(
  name: string,
  supplied: pulumi.Output<string> | undefined,
  args: RandomSecretArgs,
  opts: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
  return supplied ? pulumi.secret(supplied) : new RandomSecret(name, args, opts).value;
}
