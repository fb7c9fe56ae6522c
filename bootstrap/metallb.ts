/**
 * MetalLB for bare-metal clusters: the official chart (CRDs included), an IPAddressPool from
 * config and an L2Advertisement. The speaker needs host networking, so MetalLB gets its own
 * namespace at Pod Security "privileged" rather than loosening the system namespace.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { charts } from "../config/versions.js";
import { chartArgs } from "./chart.js";
import { namespaceLabels } from "./namespaces.js";
import type { ConfigProblem } from "../config/errors.js";
import { disabled, firstReason, OFFLINE, type AddonDefinition } from "./addon.js";

export interface MetalLbArgs {
  /** Address ranges (`a.b.c.d-a.b.c.e`) or CIDRs to hand out; validated by the schema. */
  addresses: string[];
  /** Namespace for MetalLB. @default "metallb-system" */
  namespace?: string;
  /** Resources the chart waits for. @default [] */
  dependsOn?: pulumi.Resource[];
}

export class MetalLb extends pulumi.ComponentResource {
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: MetalLbArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:MetalLb", name, {}, opts);
    const namespace = args.namespace ?? "metallb-system";
    const ns = new k8s.core.v1.Namespace(
      `${name}`,
      { metadata: { name: namespace, labels: namespaceLabels("privileged") } },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    const chart = new k8s.helm.v4.Chart(
      `${name}`,
      // Layer 2 only: FRR (BGP) adds a sidecar kuar has no use for.
      chartArgs(charts.metallb, ns.metadata.name, { speaker: { frr: { enabled: false } } }),
      { parent: this, dependsOn: [ns] },
    );
    const pool = new k8s.apiextensions.CustomResource(
      `${name}-pool`,
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: { name, namespace },
        spec: { addresses: args.addresses },
      },
      { parent: this, dependsOn: [chart] },
    );
    const l2 = new k8s.apiextensions.CustomResource(
      `${name}-l2`,
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "L2Advertisement",
        metadata: { name, namespace },
        spec: { ipAddressPools: [pool.metadata.name] },
      },
      { parent: this, dependsOn: [chart] },
    );
    this.ready = [chart, pool, l2];
    this.registerOutputs({});
  }
}

/** MetalLB on bare metal, where the cluster's load balancers come from nowhere else. */
export const metallbAddon: AddonDefinition = {
  id: "metallb",
  section: "metallb",
  waitsFor: ["coredns"],
  skip: (caps, addons) =>
    firstReason([
      [!addons.metallb.enabled, disabled("metallb")],
      [
        caps.loadBalancer !== "metallb",
        `the cluster's load balancers come from elsewhere (capabilities.loadBalancer is "${caps.loadBalancer}")`,
      ],
      [!caps.online, OFFLINE],
    ]),
  problems(caps, addons) {
    const problems: ConfigProblem[] = [];
    if (caps.loadBalancer === "metallb" && addons.metallb.enabled && addons.metallb.addresses.length === 0) {
      problems.push({
        path: "kuar:addons.metallb.addresses",
        received: addons.metallb.addresses,
        message:
          'needs at least one address range: this cluster\'s load balancer is MetalLB (capabilities.loadBalancer is "metallb") and MetalLB only hands out addresses from a pool',
        fix: "Reserve free addresses on the nodes' network and run: pulumi config set --path 'kuar:addons.metallb.addresses[0]' 192.168.1.240-192.168.1.250.",
      });
    }
    return problems;
  },
  install(ctx) {
    const metallb = new MetalLb(
      `${ctx.name}-metallb`,
      { addresses: ctx.addons.metallb.addresses, dependsOn: ctx.waitFor() },
      ctx.child,
    );
    return { ready: metallb.ready };
  },
};
