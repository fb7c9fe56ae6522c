/**
 * The one secure pod skeleton every workload builds on, resolved once (as cdk8s-plus resolves a
 * container's defaults in one constructor): the restricted security context with the image's own
 * user, requests and limits, probes, and an emptyDir for every path the image writes while its
 * root filesystem is read-only. Apps say what differs; the posture cannot drift between them.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { containerResources, containerSecurityContext, podSecurityContext } from "./common.js";
import type { ResourcesConfig } from "./schema.js";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type Probe = k8s.types.input.core.v1.Probe;
type PodSpec = k8s.types.input.core.v1.PodSpec;

/** A path the process writes on a read-only root: an emptyDir mounted there. */
export interface WritablePath {
  /** Absolute mount path. */
  path: string;
  /** emptyDir size limit. @default "64Mi" */
  sizeLimit?: string;
}

export interface SecureContainerArgs {
  /** Container name. */
  name: string;
  /** Image reference. */
  image: pulumi.Input<string>;
  /** Replaces the image's ENTRYPOINT. @default the image's ENTRYPOINT */
  command?: pulumi.Input<pulumi.Input<string>[]>;
  /** Replaces the image's CMD. @default the image's CMD */
  args?: pulumi.Input<string>[];
  /** Environment. @default [] */
  env?: pulumi.Input<k8s.types.input.core.v1.EnvVar>[];
  /** Named container ports. @default [] */
  ports?: k8s.types.input.core.v1.ContainerPort[];
  /** Requests and limits; required, so no container runs unbounded. */
  resources: ResourcesConfig;
  /** Startup probe. @default none */
  startupProbe?: Probe;
  /** Readiness probe. @default none (Jobs and init containers have none) */
  readinessProbe?: Probe;
  /** Liveness probe. @default none (Jobs and init containers have none) */
  livenessProbe?: Probe;
  /** Paths written on the read-only root; each gets an emptyDir shared by every container of the pod. @default ["/tmp"] */
  writable?: (string | WritablePath)[];
  /** Mounts of volumes given in `SecurePodArgs.volumes` (claims, config, secrets). @default [] */
  volumeMounts?: VolumeMount[];
}

export interface SecurePodArgs {
  /** The image's own user; the pod runs as it, non-root. */
  uid: number;
  /** The image's group, also the fsGroup of volumes. @default uid */
  gid?: number;
  /** Main containers. */
  containers: SecureContainerArgs[];
  /** Init containers, with the same posture. @default [] */
  initContainers?: SecureContainerArgs[];
  /** Volumes besides the writable emptyDirs (they come first, emptyDirs after). @default [] */
  volumes?: Volume[];
  /** Affinity. @default none */
  affinity?: k8s.types.input.core.v1.Affinity;
  /** Node selector. @default none */
  nodeSelector?: Record<string, string>;
  /** Restart policy (Jobs: "OnFailure"). @default the API default, "Always" */
  restartPolicy?: string;
  /** Grace period on stop. @default the API default, 30 s */
  terminationGracePeriodSeconds?: number;
}

/** emptyDir volume name for a writable path: "/var/run/mysqld" -> "w-var-run-mysqld". */
export function writableVolumeName(path: string): string {
  const slug = path
    .replace(/^\/+|\/+$/g, "")
    .replace(/[^a-z0-9]+/gi, "-")
    .toLowerCase();
  return `w-${slug || "root"}`.slice(0, 63).replace(/-+$/, "");
}

function normalise(w: string | WritablePath): Required<WritablePath> {
  return typeof w === "string" ? { path: w, sizeLimit: "64Mi" } : { path: w.path, sizeLimit: w.sizeLimit ?? "64Mi" };
}

/** The pod spec: every container restricted, read-only root, bounded, with its writable paths mounted. */
export function securePod(args: SecurePodArgs): PodSpec {
  const gid = args.gid ?? args.uid;
  const scratch = new Map<string, Required<WritablePath>>();
  const build = (c: SecureContainerArgs): Container => {
    const writable = (c.writable ?? ["/tmp"]).map(normalise);
    for (const w of writable) {
      const seen = scratch.get(w.path);
      if (seen && seen.sizeLimit !== w.sizeLimit) {
        throw new Error(`securePod: writable path ${w.path} given two size limits (${seen.sizeLimit}, ${w.sizeLimit})`);
      }
      scratch.set(w.path, w);
    }
    return {
      name: c.name,
      image: c.image,
      command: c.command,
      args: c.args,
      env: c.env,
      ports: c.ports,
      startupProbe: c.startupProbe,
      readinessProbe: c.readinessProbe,
      livenessProbe: c.livenessProbe,
      resources: containerResources(c.resources),
      securityContext: containerSecurityContext(true),
      volumeMounts: [
        ...(c.volumeMounts ?? []),
        ...writable.map((w) => ({ name: writableVolumeName(w.path), mountPath: w.path })),
      ],
    };
  };
  const initContainers = (args.initContainers ?? []).map(build);
  const containers = args.containers.map(build);
  return {
    automountServiceAccountToken: false,
    securityContext: podSecurityContext(args.uid, gid),
    affinity: args.affinity,
    nodeSelector: args.nodeSelector,
    restartPolicy: args.restartPolicy,
    terminationGracePeriodSeconds: args.terminationGracePeriodSeconds,
    initContainers: initContainers.length ? initContainers : undefined,
    containers,
    volumes: [
      ...(args.volumes ?? []),
      ...[...scratch.values()].map((w) => ({ name: writableVolumeName(w.path), emptyDir: { sizeLimit: w.sizeLimit } })),
    ],
  };
}

/** Small fixed resources for helper containers (init containers, Jobs, the dashboard). */
export const helperResources = (memory = "64Mi", memoryLimit = "256Mi"): ResourcesConfig => ({
  requests: { cpu: "50m", memory },
  limits: { cpu: "500m", memory: memoryLimit },
});
