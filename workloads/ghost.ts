/**
 * Ghost with a MySQL singleton. Ghost holds state in process, so it runs as exactly one pod,
 * replaced with the Recreate strategy; its content lives on a PersistentVolumeClaim.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayRef } from "../bootstrap/platform.js";
import { RandomSecret, secretOrGenerated } from "../common/random-secret.js";
import { images } from "../config/versions.js";
import {
  containerResources,
  containerSecurityContext,
  hostFor,
  labels,
  networkPolicySpec,
  podSecurityContext,
  scratch,
  selectorLabels,
  type AppBaseArgs,
} from "./common.js";
import { MYSQL_PORT, MysqlSingleton } from "./mysql.js";
import { ghostSchema, type GhostConfig } from "./schema.js";
import { httpRoute } from "./route.js";

/** The ghost image's `node` user. */
export const GHOST_UID = 1000;
const PORT = 2368;
export const SITE_PATH = "/ghost/api/admin/site/";

export interface GhostArgs extends AppBaseArgs {
  /** Validated `kuar:workloads.ghost`. @default the schema defaults */
  config?: GhostConfig;
  /** StorageClass of the content and MySQL volumes. @default the cluster default */
  storageClass?: pulumi.Input<string>;
  /** Password of Ghost's MySQL user; a secret. @default generated once and kept in state */
  databasePassword?: pulumi.Output<string>;
}

/**
 * Ghost's `url`, which it redirects every request to: the Gateway's host and scheme, else
 * localhost for a `kubectl port-forward`.
 */
export function ghostUrl(domain: string, gateway: Pick<GatewayRef, "scheme"> | undefined): string {
  return gateway ? `${gateway.scheme}://${hostFor("ghost", domain)}` : `http://localhost:${PORT}`;
}

/** Headers that make a probe look like a request to `url`, so Ghost answers instead of redirecting. */
export function probeHeaders(url: string): { name: string; value: string }[] {
  const u = new URL(url);
  return [
    { name: "Host", value: u.host },
    { name: "X-Forwarded-Proto", value: u.protocol.replace(/:$/, "") },
  ];
}

export class Ghost extends pulumi.ComponentResource {
  /** Ghost's public URL (its `url` setting). */
  readonly url: pulumi.Output<string>;
  /** The Ghost Service's name. */
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: GhostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:workloads:Ghost", name, {}, opts);
    const cfg = args.config ?? ghostSchema.parse({});
    const domain = args.domain ?? "kuar.local";
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    const namespace = args.namespace;
    const url = ghostUrl(domain, args.gateway);

    const id = { name: "ghost", instance: name, component: "web" };
    const sel = selectorLabels(id);
    const meta = { name, namespace, labels: labels(id) };

    const password = secretOrGenerated(`${name}-db-password`, args.databasePassword, {}, { parent: this });
    const rootPassword = new RandomSecret(`${name}-db-root-password`, {}, { parent: this }).value;
    const secretName = `${name}-db`;
    const secret = new k8s.core.v1.Secret(
      secretName,
      {
        metadata: { name: secretName, namespace, labels: labels({ ...id, component: "database" }) },
        type: "Opaque",
        stringData: { password, "root-password": rootPassword },
      },
      child,
    );

    const mysql = new MysqlSingleton(
      `${name}-mysql`,
      {
        namespace,
        instance: name,
        database: "ghost",
        secretName: secret.metadata.name,
        storage: cfg.mysqlStorage,
        storageClass: args.storageClass,
        resources: cfg.mysqlResources,
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );

    const contentName = `${name}-content`;
    new k8s.core.v1.PersistentVolumeClaim(
      contentName,
      {
        metadata: { name: contentName, namespace, labels: labels(id) },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: args.storageClass,
          resources: { requests: { storage: cfg.storage } },
        },
      },
      child,
    );

    // The pod names the claim by its fixed name rather than waiting on it: a WaitForFirstConsumer
    // StorageClass binds the claim only once this pod is scheduled.
    const tmp = scratch("tmp", "/tmp", "256Mi");
    const httpProbe = { path: SITE_PATH, port: "http", httpHeaders: probeHeaders(url) };
    new k8s.apps.v1.Deployment(
      name,
      {
        metadata: meta,
        spec: {
          replicas: cfg.replicas,
          selector: { matchLabels: sel },
          // Two Ghosts must never share the database, not even during a rollout.
          strategy: { type: "Recreate" },
          template: {
            metadata: { labels: labels(id) },
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(GHOST_UID),
              containers: [
                {
                  name: "ghost",
                  image: images.ghost,
                  ports: [{ name: "http", containerPort: PORT }],
                  env: [
                    { name: "url", value: url },
                    { name: "NODE_ENV", value: "production" },
                    { name: "database__client", value: "mysql" },
                    { name: "database__connection__host", value: mysql.host },
                    { name: "database__connection__port", value: String(MYSQL_PORT) },
                    { name: "database__connection__user", value: "ghost" },
                    {
                      name: "database__connection__password",
                      valueFrom: { secretKeyRef: { name: secret.metadata.name, key: "password" } },
                    },
                    { name: "database__connection__database", value: "ghost" },
                  ],
                  // The first start runs database migrations.
                  startupProbe: { httpGet: httpProbe, periodSeconds: 10, failureThreshold: 30 },
                  readinessProbe: { httpGet: httpProbe, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                  livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 20, failureThreshold: 6 },
                  resources: containerResources(cfg.resources),
                  securityContext: containerSecurityContext(true),
                  volumeMounts: [{ name: "content", mountPath: "/var/lib/ghost/content" }, tmp.mount],
                },
              ],
              volumes: [{ name: "content", persistentVolumeClaim: { claimName: contentName } }, tmp.volume],
            },
          },
        },
      },
      { ...child, dependsOn: [...child.dependsOn, mysql] },
    );

    const svc = new k8s.core.v1.Service(
      name,
      {
        metadata: meta,
        spec: { type: "ClusterIP", selector: sel, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
      child,
    );

    new k8s.networking.v1.NetworkPolicy(
      name,
      { metadata: meta, spec: networkPolicySpec(name, { publicPorts: [PORT] }) },
      child,
    );

    if (args.gateway) {
      httpRoute(name, meta, args.gateway, hostFor("ghost", domain), svc.metadata.name, 80, child);
    }

    this.serviceName = svc.metadata.name;
    this.url = pulumi.output(url);
    this.registerOutputs({ url: this.url, serviceName: this.serviceName });
  }
}
