/**
 * kuard, the book's demo app: a Deployment with health and readiness probes, a Service, an
 * optional HTTPRoute, and the Jobs chapter's parallel key-generation Job.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { images } from "../config/versions.js";
import {
  antiAffinity,
  hostFor,
  imageFor,
  labels,
  ingressPolicySpec,
  pdbSpec,
  publicUrl,
  selectorLabels,
  withTag,
  type AppBaseArgs,
} from "./common.js";
import { securePod } from "./pod.js";
import { kuardSchema, type KuardConfig } from "./schema.js";
import { httpRoute } from "./route.js";
import { JOB_TIMEOUTS } from "./timeouts.js";
import { awaitAddress } from "../common/awaits.js";
import type { WorkloadDefinition } from "./workload.js";

/** kuard's image runs as `nobody:nobody` (alpine's 65534); see config/contracts/images/kuard.json. */
export const KUARD_UID = 65534;
const PORT = 8080;
/** The image has no ENTRYPOINT and `CMD ["/kuard"]`: args alone would replace the binary itself. */
export const KUARD_COMMAND = ["/kuard"];

export interface KuardArgs extends AppBaseArgs {
  /** Validated `kuar:workloads.kuard`. @default the schema defaults (2 blue replicas, keygen Job on) */
  config?: KuardConfig;
}

/** The book's key-generation flags: each Job pod makes `n` keys and exits. */
export function keygenArgs(keysPerPod: number): string[] {
  return ["--keygen-enable", "--keygen-exit-on-complete", `--keygen-num-to-gen=${keysPerPod}`];
}

export class Kuard extends pulumi.ComponentResource {
  /** Where to reach kuard: the Gateway URL, else the in-cluster Service URL. */
  readonly url: pulumi.Output<string>;
  /** The Service's name. */
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: KuardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:workloads:Kuard", name, {}, opts);
    const cfg = args.config ?? kuardSchema.parse({});
    const arch = args.arch ?? "amd64";
    const domain = args.domain ?? "kuar.local";
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    const namespace = args.namespace;

    const id = { name: "kuard", instance: name, component: "web" };
    const sel = selectorLabels(id);
    const meta = { name, namespace, labels: labels(id) };
    const { image: pinned, nodeSelector } = imageFor(images.kuard, arch);
    const image = withTag(pinned, cfg.color);

    new k8s.apps.v1.Deployment(
      name,
      {
        metadata: meta,
        spec: {
          replicas: cfg.replicas,
          selector: { matchLabels: sel },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels: labels(id) },
            spec: securePod({
              uid: KUARD_UID,
              affinity: antiAffinity(sel, cfg.replicas),
              nodeSelector,
              containers: [
                {
                  name: "kuard",
                  image,
                  ports: [{ name: "http", containerPort: PORT }],
                  livenessProbe: {
                    httpGet: { path: "/healthy", port: "http" },
                    initialDelaySeconds: 5,
                    periodSeconds: 10,
                    timeoutSeconds: 1,
                    failureThreshold: 3,
                  },
                  readinessProbe: {
                    httpGet: { path: "/ready", port: "http" },
                    periodSeconds: 2,
                    timeoutSeconds: 1,
                    failureThreshold: 3,
                  },
                  resources: cfg.resources,
                },
              ],
            }),
          },
        },
      },
      child,
    );

    const svc = new k8s.core.v1.Service(
      name,
      {
        metadata: awaitAddress(meta),
        spec: { type: "ClusterIP", selector: sel, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
      child,
    );

    const pdb = pdbSpec(sel, cfg.replicas);
    if (pdb) new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta, spec: pdb }, child);

    new k8s.networking.v1.NetworkPolicy(
      name,
      { metadata: meta, spec: ingressPolicySpec(sel, [{ ports: [PORT], from: "gateway" }]) },
      child,
    );

    if (args.gateway) {
      httpRoute(name, meta, args.gateway, hostFor("kuard", domain), svc.metadata.name, 80, child);
    }

    if (cfg.keygen.enabled) {
      const jobId = { name: "kuard", instance: name, component: "keygen" };
      const jobName = `${name}-keygen`;
      new k8s.batch.v1.Job(
        jobName,
        {
          metadata: { name: jobName, namespace, labels: labels(jobId) },
          spec: {
            completions: cfg.keygen.completions,
            parallelism: cfg.keygen.parallelism,
            backoffLimit: 4,
            template: {
              metadata: { labels: labels(jobId) },
              spec: securePod({
                uid: KUARD_UID,
                restartPolicy: "OnFailure",
                nodeSelector,
                containers: [
                  {
                    name: "kuard",
                    image,
                    command: KUARD_COMMAND,
                    args: keygenArgs(cfg.keygen.keysPerPod),
                    resources: cfg.resources,
                  },
                ],
              }),
            },
          },
        },
        { ...child, customTimeouts: JOB_TIMEOUTS },
      );
    }

    this.serviceName = svc.metadata.name;
    this.url = pulumi
      .all([svc.metadata.name, pulumi.output(namespace)])
      .apply(([s, ns]) => publicUrl("kuard", domain, args.gateway, `http://${s}.${ns}.svc.cluster.local`));
    this.registerOutputs({ url: this.url, serviceName: this.serviceName });
  }
}

/** kuard as the Workloads component deploys it. */
export const kuardWorkload: WorkloadDefinition<"kuard"> = {
  key: "kuard",
  install(ctx) {
    const kuard = new Kuard(`${ctx.name}-kuard`, { ...ctx.base, config: ctx.config }, ctx.child);
    return { kuard: kuard.url };
  },
};
