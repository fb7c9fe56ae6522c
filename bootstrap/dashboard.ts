/**
 * Headlamp, the maintained Kubernetes web UI, from its official chart, running as a ServiceAccount
 * kuar creates and binds itself: read-only (the built-in `view` role) unless asked otherwise. The
 * ServiceAccount and binding are plain objects, so they exist even where the chart cannot be fetched.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { charts } from "../config/versions.js";
import { chartArgs } from "./chart.js";
import { disabled, firstReason, OFFLINE, type AddonDefinition } from "./addon.js";

export type DashboardAccess = "read-only" | "admin";

/** The built-in ClusterRole each access level binds. */
export function clusterRoleFor(access: DashboardAccess): string {
  return access === "admin" ? "cluster-admin" : "view";
}

export interface DashboardArgs {
  /** Namespace for Headlamp and its ServiceAccount. */
  namespace: pulumi.Input<string>;
  /** What the ServiceAccount may do. @default "read-only" */
  access?: DashboardAccess;
  /** Install the Headlamp chart; false leaves only the ServiceAccount and binding. @default true */
  chart?: boolean;
  /** Resources the ServiceAccount waits for. @default [] */
  dependsOn?: pulumi.Resource[];
  /** Extra resources the chart waits for. @default [] */
  chartDependsOn?: pulumi.Resource[];
}

export class Dashboard extends pulumi.ComponentResource {
  /** The ServiceAccount Headlamp runs as (log in with `kubectl create token <it>`). */
  readonly serviceAccount: pulumi.Output<string>;
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:Dashboard", name, {}, opts);
    const access = args.access ?? "read-only";
    const dependsOn = args.dependsOn ?? [];
    const labels = { "app.kubernetes.io/name": "headlamp", "app.kubernetes.io/part-of": "kuar" };
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}`,
      { metadata: { name, namespace: args.namespace, labels } },
      { parent: this, dependsOn },
    );
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}`,
      {
        metadata: { name, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRoleFor(access) },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace }],
      },
      { parent: this },
    );
    const ready: pulumi.Resource[] = [sa, binding];
    if (args.chart ?? true) {
      ready.push(
        new k8s.helm.v4.Chart(
          `${name}-headlamp`,
          chartArgs(charts.headlamp, args.namespace, {
            // The chart's own ServiceAccount is bound to cluster-admin; use ours instead.
            serviceAccount: { create: false, name: sa.metadata.name },
            clusterRoleBinding: { create: false },
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            // The chart's defaults set only the user; add the rest of the "restricted" profile.
            podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 100,
              runAsGroup: 101,
              privileged: false,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ["ALL"] },
            },
          }),
          { parent: this, dependsOn: [...dependsOn, ...(args.chartDependsOn ?? []), binding] },
        ),
      );
    }
    this.serviceAccount = sa.metadata.name;
    this.ready = ready;
    this.registerOutputs({ serviceAccount: this.serviceAccount });
  }
}

/** The dashboard's RBAC (plain objects, works offline) and, as its own part, the Headlamp chart. */
export const dashboardAddon: AddonDefinition = {
  id: "dashboard-rbac",
  section: "dashboard",
  waitsFor: ["namespaces"],
  skip: (_caps, addons) => firstReason([[!addons.dashboard.enabled, disabled("dashboard")]]),
  parts: [
    {
      id: "headlamp",
      waitsFor: ["namespaces", "coredns", "dashboard-rbac"],
      skip: (caps, addons) =>
        firstReason([
          [!addons.dashboard.enabled, disabled("dashboard")],
          [!caps.online, OFFLINE],
        ]),
    },
  ],
  install(ctx) {
    const chart = ctx.installs("headlamp");
    const dashboard = new Dashboard(
      `${ctx.name}-dashboard`,
      {
        namespace: ctx.addons.namespaces.system,
        access: ctx.addons.dashboard.access,
        chart,
        dependsOn: ctx.waitFor(),
        chartDependsOn: chart ? ctx.waitFor("headlamp") : [],
      },
      ctx.child,
    );
    return { ready: dashboard.ready };
  },
};
