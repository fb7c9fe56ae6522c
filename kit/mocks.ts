/**
 * Recording mocks for unit tests: every resource the program registers is recorded with its
 * inputs; an invoke nobody declared throws `Mock not implemented: <token>` so a test can never
 * pass on a silently-empty answer.
 *
 * Usage: call `useMocks()` before importing the module under test (dynamic `await import()`),
 * because @pulumi/pulumi reads the mock monitor when resources register.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  /** Type token, e.g. `kubernetes:apps/v1:Deployment`. */
  type: string;
  /** Logical name given to the constructor. */
  name: string;
  /** Inputs as the engine would receive them; secret values arrive wrapped (see isSecretInput). */
  inputs: Record<string, any>;
  /** The provider reference (`urn::id`), if one was given. */
  provider: string | undefined;
  /** True for custom resources, false for components. */
  custom: boolean;
}

export type InvokeHandler = (inputs: Record<string, any>) => Record<string, any>;

export interface MockOptions {
  project?: string;
  stack?: string;
  /** Run as a preview (outputs unknown where the engine would not know them). */
  preview?: boolean;
  /** Flat config map as Pulumi gives it (`kuar:target` -> `"gke"`). */
  config?: Record<string, string>;
  /** Config keys (full, e.g. `kuar:redisPassword`) to mark as secret. */
  secretKeys?: string[];
  /** Declared invokes by token. Anything else throws. */
  invokes?: Record<string, InvokeHandler>;
  /** Extra output state per resource type (e.g. a cloud cluster's endpoint). */
  outputs?: (r: RecordedResource) => Record<string, any> | undefined;
}

export class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly invoked: { token: string; inputs: Record<string, any> }[] = [];

  constructor(private readonly opts: MockOptions = {}) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
    const r: RecordedResource = {
      type: args.type,
      name: args.name,
      inputs: args.inputs,
      provider: args.provider,
      custom: args.custom ?? true,
    };
    this.resources.push(r);
    // Generated secrets (common/random-secret.ts) get a recognisable value the engine would create.
    const generated = args.inputs["kind"] === "kuar:RandomSecret" ? { value: `generated-${args.name}` } : {};
    const extra = { ...generated, ...this.opts.outputs?.(r) };
    return { id: args.id || `${args.name}-id`, state: { ...args.inputs, ...extra } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    this.invoked.push({ token: args.token, inputs: args.inputs });
    const handler = this.opts.invokes?.[args.token];
    if (!handler) throw new Error(`Mock not implemented: ${args.token}`);
    return handler(args.inputs);
  }

  /** All recorded resources of a type token. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource with this type and name; throws listing what exists otherwise. */
  one(type: string, name: string): RecordedResource {
    const found = this.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
      const names = this.ofType(type).map((r) => r.name);
      throw new Error(
        `expected one ${type} named "${name}", found ${found.length}; ${type} names: ${names.join(", ") || "none"}`,
      );
    }
    return found[0]!;
  }

  /** Resources whose name matches. */
  named(pattern: string | RegExp): RecordedResource[] {
    return this.resources.filter((r) => (typeof pattern === "string" ? r.name === pattern : pattern.test(r.name)));
  }

  /** Distinct type tokens recorded, sorted. */
  types(): string[] {
    return [...new Set(this.resources.map((r) => r.type))].sort();
  }

  /** Waits until registrations stop arriving (components register children asynchronously). */
  async settle(quietMs = 30): Promise<void> {
    let last = -1;
    for (let i = 0; i < 200 && last !== this.resources.length; i++) {
      last = this.resources.length;
      await new Promise((r) => setTimeout(r, quietMs));
    }
  }
}

/** Installs recording mocks and config. Call before importing the code under test. */
export async function useMocks(opts: MockOptions = {}): Promise<RecordingMocks> {
  const mocks = new RecordingMocks(opts);
  pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);
  await pulumi.runtime.setMocks(mocks, opts.project ?? "kuar", opts.stack ?? "test", opts.preview ?? false);
  return mocks;
}

/** Resolves an Output's value (undefined while unknown in a preview). */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** Resolves an Output's value and whether it is a secret. */
export async function secretOf<T>(o: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  const [value, secret] = await Promise.all([valueOf(o), pulumi.isSecret(o)]);
  return { value, secret };
}

/** Pulumi's wire encoding of a secret in recorded inputs: `{ [SECRET_KEY]: SECRET_SIG, value }`. */
export const SECRET_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True when a recorded input value is a wrapped secret. */
export function isSecretInput(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_KEY] === SECRET_SIG;
}
