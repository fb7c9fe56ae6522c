/**
 * metrics-server from its official chart, for clusters that do not serve the metrics API
 * (`kubectl top`, HorizontalPodAutoscalers). The image is pinned in config/versions.json.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { charts, images } from "../config/versions.js";
import { chartArgs, imageValues } from "./chart.js";
import { disabled, firstReason, OFFLINE, type AddonDefinition } from "./addon.js";

export interface MetricsServerArgs {
  /** Namespace to install into. */
  namespace: pulumi.Input<string>;
  /** Skip verifying kubelet serving certificates (self-signed kubelet certs). @default false */
  kubeletInsecureTLS?: boolean;
  /** Replicas; two or more get the chart's PodDisruptionBudget. @default 1 */
  replicas?: number;
  /** Resources the chart waits for. @default [] */
  dependsOn?: pulumi.Resource[];
}

export class MetricsServer extends pulumi.ComponentResource {
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: MetricsServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:MetricsServer", name, {}, opts);
    const replicas = args.replicas ?? 1;
    const chart = new k8s.helm.v4.Chart(
      `${name}`,
      chartArgs(charts.metricsServer, args.namespace, {
        image: imageValues(images.metricsServer),
        replicas,
        podDisruptionBudget: { enabled: replicas > 1, maxUnavailable: 1 },
        args: args.kubeletInsecureTLS ? ["--kubelet-insecure-tls"] : [],
        resources: { requests: { cpu: "100m", memory: "200Mi" }, limits: { cpu: "1", memory: "400Mi" } },
      }),
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    this.ready = [chart];
    this.registerOutputs({});
  }
}

/** metrics-server where the cluster does not serve the metrics API. */
export const metricsAddon: AddonDefinition = {
  id: "metrics-server",
  section: "metrics",
  waitsFor: ["namespaces", "coredns"],
  skip: (caps, addons) =>
    firstReason([
      [!addons.metrics.enabled, disabled("metrics")],
      [caps.metricsServer, "the cluster already serves the metrics API (capabilities.metricsServer is true)"],
      [!caps.online, OFFLINE],
    ]),
  install(ctx) {
    const metrics = new MetricsServer(
      `${ctx.name}-metrics-server`,
      {
        namespace: ctx.addons.namespaces.system,
        kubeletInsecureTLS: ctx.addons.metrics.kubeletInsecureTLS,
        replicas: ctx.caps.nodes > 1 ? 2 : 1,
        dependsOn: ctx.waitFor(),
      },
      ctx.child,
    );
    return { ready: metrics.ready };
  },
};
