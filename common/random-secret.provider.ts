/** The RandomSecret dynamic provider's implementation (loaded by common/dynamic.ts at run time). */
import type * as pulumi from "@pulumi/pulumi";
import { randomBytes, randomUUID } from "node:crypto";

const ALPHABETS = {
  alnum: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  hex: "0123456789abcdef",
} as const;
export type Alphabet = keyof typeof ALPHABETS;

/** Uniform random string over an alphabet (rejection sampling avoids modulo bias). */
export function randomString(length: number, alphabet: Alphabet): string {
  const chars = ALPHABETS[alphabet];
  const limit = 256 - (256 % chars.length);
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit && out.length < length) out += chars[b % chars.length];
    }
  }
  return out;
}

interface Inputs {
  length: number;
  alphabet: Alphabet;
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    return { id: randomUUID(), outs: { ...inputs, value: randomString(inputs.length, inputs.alphabet) } };
  },
  async diff(_id: string, olds: Inputs, news: Inputs) {
    const replaces = (["length", "alphabet"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
};
