/**
 * Traffic in: Envoy Gateway from its official chart (which also installs the Gateway API CRDs),
 * a GatewayClass, and the shared Gateway workloads attach HTTPRoutes to. Custom resources wait for
 * the chart, so one `up` works on an empty cluster and `destroy` removes them before the CRDs.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { charts } from "../config/versions.js";
import { chartArgs } from "./chart.js";
import { disabled, firstReason, OFFLINE, type AddonDefinition } from "./addon.js";

export const CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller";
const NAME_LABEL = "kubernetes.io/metadata.name";

export interface ListenerInputs {
  /** Namespaces whose routes may attach. */
  routeNamespaces: string[];
  /** TLS secret for the https listener; none means http only. */
  tlsSecretName?: string;
}

/** The Gateway's listeners: http on 80, and https on 443 terminating with `tlsSecretName`. */
export function gatewayListeners(l: ListenerInputs): Record<string, unknown>[] {
  const allowedRoutes = {
    namespaces: {
      from: "Selector",
      selector: { matchExpressions: [{ key: NAME_LABEL, operator: "In", values: l.routeNamespaces }] },
    },
  };
  const listeners: Record<string, unknown>[] = [{ name: "http", protocol: "HTTP", port: 80, allowedRoutes }];
  if (l.tlsSecretName) {
    listeners.push({
      name: "https",
      protocol: "HTTPS",
      port: 443,
      tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: l.tlsSecretName }] },
      allowedRoutes,
    });
  }
  return listeners;
}

/**
 * Values for the gateway-helm chart. Pulumi applies Helm hooks as ordinary objects, so the
 * certgen Job (a pre-install hook) becomes a managed Job; the chart's default
 * `ttlSecondsAfterFinished: 30` would have Kubernetes delete it, and every refresh would then
 * find it gone and the next up run it again. Null drops the setting: the finished Job stays.
 */
export function envoyGatewayValues(): Record<string, unknown> {
  return { certgen: { job: { ttlSecondsAfterFinished: null } } };
}

export interface GatewayArgs {
  /** Namespace for the controller, its proxies and the Gateway. */
  namespace: string;
  /** Namespace workloads create HTTPRoutes in. */
  appsNamespace: string;
  /** Secret holding the https certificate (issued by cert-manager). @default none: http only */
  tlsSecretName?: string;
  /** How the proxies are exposed: NodePort where the cluster has no load balancer. @default "LoadBalancer" */
  serviceType?: "LoadBalancer" | "NodePort";
  /** Resources the chart waits for. @default [] */
  dependsOn?: pulumi.Resource[];
}

export class Gateway extends pulumi.ComponentResource {
  readonly name: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;
  /** The chart (CRDs, controller). Whatever creates Gateway API objects waits for it. */
  readonly chart: k8s.helm.v4.Chart;
  /** What workloads wait for before creating HTTPRoutes. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:Gateway", name, {}, opts);
    const serviceType = args.serviceType ?? "LoadBalancer";
    this.chart = new k8s.helm.v4.Chart(
      `${name}-envoy-gateway`,
      chartArgs(charts.envoyGateway, args.namespace, envoyGatewayValues()),
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    const afterChart: pulumi.CustomResourceOptions & { dependsOn: pulumi.Resource[] } = {
      parent: this,
      dependsOn: [this.chart],
    };

    let parametersRef: Record<string, string> | undefined;
    if (serviceType !== "LoadBalancer") {
      const proxy = new k8s.apiextensions.CustomResource(
        `${name}-proxy`,
        {
          apiVersion: "gateway.envoyproxy.io/v1alpha1",
          kind: "EnvoyProxy",
          metadata: { name, namespace: args.namespace },
          spec: { provider: { type: "Kubernetes", kubernetes: { envoyService: { type: serviceType } } } },
        },
        afterChart,
      );
      parametersRef = { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name, namespace: args.namespace };
      afterChart.dependsOn.push(proxy);
    }

    const gatewayClass = new k8s.apiextensions.CustomResource(
      `${name}-class`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: { name },
        spec: { controllerName: CONTROLLER_NAME, ...(parametersRef ? { parametersRef } : {}) },
      },
      afterChart,
    );
    const gateway = new k8s.apiextensions.CustomResource(
      `${name}`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name, namespace: args.namespace },
        spec: {
          gatewayClassName: gatewayClass.metadata.name,
          listeners: gatewayListeners({
            routeNamespaces: [args.appsNamespace, args.namespace],
            ...(args.tlsSecretName ? { tlsSecretName: args.tlsSecretName } : {}),
          }),
        },
      },
      afterChart,
    );
    this.name = gateway.metadata.name;
    this.namespace = gateway.metadata.namespace;
    this.ready = [this.chart, gateway];
    this.registerOutputs({ name: this.name, namespace: this.namespace });
  }
}

/** Envoy Gateway and the shared Gateway, with an https listener when an add-on issues its certificate. */
export const gatewayAddon: AddonDefinition = {
  id: "envoy-gateway",
  section: "gateway",
  waitsFor: ["namespaces", "coredns", "metallb"],
  skip: (caps, addons) =>
    firstReason([
      [!addons.gateway.enabled, disabled("gateway")],
      [!caps.online, OFFLINE],
    ]),
  workloadsWait: true,
  install(ctx) {
    const name = `${ctx.name}-gateway`;
    const namespace = ctx.addons.namespaces.system;
    const tlsSecretName = ctx.facts.gatewayTls ? `${name}-tls` : undefined;
    const gateway = new Gateway(
      name,
      {
        namespace,
        appsNamespace: ctx.addons.namespaces.apps,
        ...(tlsSecretName ? { tlsSecretName } : {}),
        serviceType: ctx.caps.loadBalancer === "none" ? "NodePort" : "LoadBalancer",
        dependsOn: ctx.waitFor(),
      },
      ctx.child,
    );
    return {
      ready: gateway.ready,
      gateway: {
        name,
        namespace,
        ...(tlsSecretName ? { tlsSecretName } : {}),
        outputs: { name: gateway.name, namespace: gateway.namespace },
      },
    };
  },
};
