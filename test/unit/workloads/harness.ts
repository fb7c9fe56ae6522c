/**
 * Shared set-up for workload tests: a fake cluster and platform, one Workloads component per
 * call (distinct names, so calls in one file do not collide), and a record of every child's
 * props and options as the SDK saw them, before secrets are unwrapped for the mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource, RecordingMocks } from "../../../kit/mocks.js";
import { SECRET_SIG, valueOf } from "../../../kit/mocks.js";

export interface Captured {
  type: string;
  name: string;
  props: Record<string, any>;
  opts: pulumi.ResourceOptions;
}

export interface DeployOptions {
  /** `kuar:workloads` as a user would write it; parsed by config/load.ts. */
  workloads?: Record<string, unknown>;
  arch?: "amd64" | "arm64" | "mixed";
  /** Attach a Gateway with this scheme. */
  gateway?: "http" | "https";
  secrets?: Record<string, pulumi.Output<string>>;
}

export interface Deployed {
  name: string;
  endpoints: Record<string, string>;
  /** Recorded resources of this deployment (names start with `name`). */
  resources: RecordedResource[];
  captured: Captured[];
  providerRef: RegExp;
  /** The resource the platform asked children to depend on. */
  platformDep: pulumi.Resource;
  one(type: string, name: string): RecordedResource;
  ofType(type: string): RecordedResource[];
}

export const T = {
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  service: "kubernetes:core/v1:Service",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  pvc: "kubernetes:core/v1:PersistentVolumeClaim",
  job: "kubernetes:batch/v1:Job",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
} as const;

export async function deploy(mocks: RecordingMocks, name: string, o: DeployOptions = {}): Promise<Deployed> {
  const k8s = await import("@pulumi/kubernetes");
  const { parseObject } = await import("../../../config/load.js");
  const { Workloads } = await import("../../../workloads/index.js");
  // Supplied secrets count as set for the config checks that depend on them.
  const present = Object.fromEntries(Object.keys(o.secrets ?? {}).map((k) => [k, "(secret)"]));
  const config = parseObject({ workloads: o.workloads ?? {}, ...present }).workloads;
  const provider = new k8s.Provider(`${name}-cluster`, {});
  const platformDep = new k8s.core.v1.Namespace(`${name}-apps`, {}, { provider });
  const captured: Captured[] = [];
  const w = new Workloads(
    name,
    {
      cluster: {
        name: pulumi.output(name),
        kubeconfig: pulumi.secret("kubeconfig"),
        provider,
        capabilities: {
          loadBalancer: "none",
          defaultStorageClass: "standard",
          arch: o.arch ?? "amd64",
          dns: true,
          metricsServer: true,
          online: false,
          runsContainers: false,
          nodes: 3,
        },
      },
      platform: {
        appsNamespace: pulumi.output("apps"),
        gateway: o.gateway
          ? {
              name: pulumi.output("shared"),
              namespace: pulumi.output("gateway"),
              sectionName: o.gateway,
              scheme: o.gateway,
            }
          : undefined,
        storageClass: pulumi.output("fast"),
        domain: "example.test",
        dependsOn: [platformDep],
      },
      config,
      secrets: o.secrets,
    },
    {
      transformations: [
        (a) => {
          captured.push({ type: a.type, name: a.name, props: a.props, opts: a.opts });
          return undefined;
        },
      ],
    },
  );
  const endpoints = await valueOf(w.endpoints);
  await mocks.settle();
  const resources = mocks.resources.filter((r) => r.name.startsWith(`${name}-`) && r.custom);
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    name,
    endpoints,
    resources,
    captured,
    providerRef: new RegExp(`pulumi:providers:kubernetes::${name}-cluster::`),
    platformDep,
    ofType,
    one(type, n) {
      const found = ofType(type).filter((r) => r.name === n);
      if (found.length !== 1) {
        throw new Error(
          `expected one ${type} named ${n}; have ${ofType(type)
            .map((r) => r.name)
            .join(", ")}`,
        );
      }
      return found[0]!;
    },
  };
}

/** The pod spec of a Deployment, StatefulSet or Job. */
export function podSpec(r: RecordedResource): Record<string, any> {
  return r.inputs["spec"].template.spec;
}

export function container(r: RecordedResource, index = 0): Record<string, any> {
  return podSpec(r).containers[index];
}

export function envOf(c: Record<string, any>, name: string): Record<string, any> | undefined {
  return (c["env"] as Record<string, any>[] | undefined)?.find((e) => e["name"] === name);
}

/** Every workload pod's restricted posture. */
export function assertRestricted(
  assert: typeof import("node:assert/strict"),
  r: RecordedResource,
  uid: number,
  readOnlyRoot = true,
): void {
  const spec = podSpec(r);
  assert.equal(spec.securityContext.runAsNonRoot, true, `${r.name}: runAsNonRoot`);
  assert.equal(spec.securityContext.runAsUser, uid, `${r.name}: uid`);
  assert.deepEqual(spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
  assert.equal(spec.automountServiceAccountToken, false);
  for (const c of spec.containers as Record<string, any>[]) {
    assert.equal(c["securityContext"].allowPrivilegeEscalation, false, `${r.name}/${c["name"]}`);
    assert.deepEqual(c["securityContext"].capabilities, { drop: ["ALL"] });
    assert.equal(c["securityContext"].readOnlyRootFilesystem, readOnlyRoot);
    assert.ok(c["resources"]?.requests?.cpu && c["resources"]?.requests?.memory, `${r.name}: requests`);
    assert.ok(c["resources"]?.limits?.cpu && c["resources"]?.limits?.memory, `${r.name}: limits`);
  }
}

/** The standard labels on an object and its pods. */
export function assertLabels(
  assert: typeof import("node:assert/strict"),
  r: RecordedResource,
  name: string,
  component: string,
): void {
  const l = r.inputs["metadata"].labels;
  assert.equal(l["app.kubernetes.io/name"], name);
  assert.equal(l["app.kubernetes.io/component"], component);
  assert.ok(l["app.kubernetes.io/instance"]);
  assert.equal(l["app.kubernetes.io/part-of"], "kuar");
  assert.equal(l["app.kubernetes.io/managed-by"], "pulumi");
  const tpl = r.inputs["spec"]?.template?.metadata?.labels;
  if (tpl) assert.deepEqual(tpl, l);
}

/** Pulumi's wire marker for a secret value. */

/**
 * A Secret's stringData values as the SDK saw them, each with whether it is a Pulumi secret, and
 * whether the engine (the mocks) received stringData marked secret.
 */
export async function secretData(
  d: Deployed,
  name: string,
): Promise<Record<string, { value: string; secret: boolean; wire: boolean }>> {
  const c = d.captured.find((x) => x.type === T.secret && x.name === name);
  if (!c) throw new Error(`no Secret ${name} captured`);
  const whole = pulumi.output(c.props["stringData"] as pulumi.Input<Record<string, string>>);
  const wire = JSON.stringify(d.one(T.secret, name).inputs["stringData"]).includes(SECRET_SIG);
  const out: Record<string, { value: string; secret: boolean; wire: boolean }> = {};
  for (const k of Object.keys(await valueOf(whole))) {
    const v = whole.apply((sd) => sd[k]!);
    out[k] = { value: await valueOf(v), secret: await pulumi.isSecret(v), wire };
  }
  return out;
}

/** Fails when `text` appears anywhere in a recorded input other than a Secret's stringData. */
export function assertNotLiteral(assert: typeof import("node:assert/strict"), d: Deployed, text: string): void {
  for (const r of d.resources) {
    const inputs = r.type === T.secret ? { ...r.inputs, stringData: undefined } : r.inputs;
    assert.ok(!JSON.stringify(inputs).includes(text), `${r.type} ${r.name} holds the secret in plain text`);
  }
}
