/**
 * Ghost with a MySQL singleton. Ghost holds state in process, so it runs as exactly one pod,
 * replaced with the Recreate strategy; its content lives on a PersistentVolumeClaim.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayRef } from "../bootstrap/platform.js";
import { RandomSecret, secretOrGenerated } from "../common/random-secret.js";
import { images } from "../config/versions.js";
import { hostFor, ingressPolicySpec, labels, selectorLabels, type AppBaseArgs } from "./common.js";
import { MYSQL_PORT, MysqlSingleton } from "./mysql.js";
import { securePod } from "./pod.js";
import { ghostSchema, type GhostConfig } from "./schema.js";
import { httpRoute } from "./route.js";
import { awaitAddress } from "../common/awaits.js";
import type { WorkloadDefinition } from "./workload.js";

/** The ghost image's `node` user. */
export const GHOST_UID = 1000;
const PORT = 2368;
export const SITE_PATH = "/ghost/api/admin/site/";
/** The image's `GHOST_CONTENT`: themes, images, logs and settings files. */
export const CONTENT_PATH = "/var/lib/ghost/content";
/** Secret keys holding passwords as Ghost reads them (JSON string literals, see {@link ghostString}). */
export const SMTP_PASSWORD_KEY = "smtp-password-ghost";
export const DB_PASSWORD_KEY = "password-ghost";

export interface GhostArgs extends AppBaseArgs {
  /** Validated `kuar:workloads.ghost`. @default the schema defaults */
  config?: GhostConfig;
  /** StorageClass of the content and MySQL volumes. @default the cluster default */
  storageClass?: pulumi.Input<string>;
  /** Password of Ghost's MySQL user; a secret. @default generated once and kept in state */
  databasePassword?: pulumi.Output<string>;
  /** Password of `config.mail.user` on the SMTP server; a secret. @default none (required when mail.user is set) */
  smtpPassword?: pulumi.Output<string>;
}

type EnvVar = k8s.types.input.core.v1.EnvVar;

/**
 * A string as a Ghost setting. Ghost reads its environment through nconf with `parseValues`,
 * which JSON-parses every value: a bare "12345", "true" or "null" would arrive as a number, a
 * boolean or null, and a quoted one without its quotes. A JSON string literal arrives as itself.
 */
export function ghostString(value: string): string {
  return JSON.stringify(value);
}

/**
 * Ghost's mail and sign-in settings as nconf env (`__` nests keys; values are parsed, so "false"
 * and "587" arrive as a boolean and a number, and strings go as JSON literals). With an SMTP host,
 * mail goes out through it and Ghost's staff device verification (on by default) stays on. Without
 * one Ghost would fall back to direct delivery on port 25, which egress policy and most clouds
 * block, and every new browser's sign-in would wait for an emailed code that never comes:
 * verification is turned off.
 */
export function ghostMailEnv(mail: GhostConfig["mail"], smtpSecret: pulumi.Input<string> | undefined): EnvVar[] {
  if (mail.host === undefined) return [{ name: "security__staffDeviceVerification", value: "false" }];
  const env: EnvVar[] = [
    { name: "mail__transport", value: ghostString("SMTP") },
    { name: "mail__options__host", value: ghostString(mail.host) },
    { name: "mail__options__port", value: String(mail.port) },
    { name: "mail__options__secure", value: String(mail.secure) },
  ];
  if (mail.user !== undefined && smtpSecret !== undefined) {
    env.push(
      { name: "mail__options__auth__user", value: ghostString(mail.user) },
      { name: "mail__options__auth__pass", valueFrom: { secretKeyRef: { name: smtpSecret, key: SMTP_PASSWORD_KEY } } },
    );
  }
  if (mail.from !== undefined) env.push({ name: "mail__from", value: ghostString(mail.from) });
  env.push({ name: "security__staffDeviceVerification", value: "true" });
  return env;
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
        // MySQL reads `password` as is; Ghost reads its own JSON-encoded copy.
        stringData: { password, "root-password": rootPassword, [DB_PASSWORD_KEY]: password.apply(ghostString) },
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
        clients: [sel],
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );

    let mailSecret: pulumi.Output<string> | undefined;
    if (cfg.mail.user !== undefined) {
      if (!args.smtpPassword) {
        throw new Error(`${name}: config.mail.user is set but no smtpPassword was given (kuar:ghostSmtpPassword)`);
      }
      const mailName = `${name}-mail`;
      mailSecret = new k8s.core.v1.Secret(
        mailName,
        {
          metadata: { name: mailName, namespace, labels: labels(id) },
          type: "Opaque",
          stringData: { [SMTP_PASSWORD_KEY]: pulumi.secret(args.smtpPassword).apply(ghostString) },
        },
        child,
      ).metadata.name;
    }

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
            spec: securePod({
              uid: GHOST_UID,
              volumes: [{ name: "content", persistentVolumeClaim: { claimName: contentName } }],
              containers: [
                {
                  name: "ghost",
                  image: images.ghost,
                  ports: [{ name: "http", containerPort: PORT }],
                  env: [
                    { name: "url", value: ghostString(url) },
                    { name: "NODE_ENV", value: "production" },
                    { name: "database__client", value: ghostString("mysql") },
                    { name: "database__connection__host", value: mysql.host.apply(ghostString) },
                    { name: "database__connection__port", value: String(MYSQL_PORT) },
                    { name: "database__connection__user", value: ghostString("ghost") },
                    {
                      name: "database__connection__password",
                      valueFrom: { secretKeyRef: { name: secret.metadata.name, key: DB_PASSWORD_KEY } },
                    },
                    { name: "database__connection__database", value: ghostString("ghost") },
                    ...ghostMailEnv(cfg.mail, mailSecret),
                  ],
                  // The first start runs database migrations.
                  startupProbe: { httpGet: httpProbe, periodSeconds: 10, failureThreshold: 30 },
                  readinessProbe: { httpGet: httpProbe, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                  livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 20, failureThreshold: 6 },
                  resources: cfg.resources,
                  writable: [{ path: "/tmp", sizeLimit: "256Mi" }],
                  volumeMounts: [{ name: "content", mountPath: CONTENT_PATH }],
                },
              ],
            }),
          },
        },
      },
      { ...child, dependsOn: [...child.dependsOn, mysql] },
    );

    const svc = new k8s.core.v1.Service(
      name,
      {
        metadata: awaitAddress(meta),
        spec: { type: "ClusterIP", selector: sel, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
      child,
    );

    new k8s.networking.v1.NetworkPolicy(
      name,
      { metadata: meta, spec: ingressPolicySpec(sel, [{ ports: [PORT], from: "gateway" }]) },
      child,
    );

    if (cfg.mail.host !== undefined) {
      // The namespace's restricted egress reaches only pods and DNS; Ghost also needs its SMTP port.
      new k8s.networking.v1.NetworkPolicy(
        `${name}-mail-egress`,
        {
          metadata: { name: `${name}-mail-egress`, namespace, labels: labels(id) },
          spec: {
            podSelector: { matchLabels: sel },
            policyTypes: ["Egress"],
            egress: [{ ports: [{ port: cfg.mail.port, protocol: "TCP" }] }],
          },
        },
        child,
      );
    }

    if (args.gateway) {
      httpRoute(name, meta, args.gateway, hostFor("ghost", domain), svc.metadata.name, 80, child);
    }

    this.serviceName = svc.metadata.name;
    this.url = pulumi.output(url);
    this.registerOutputs({ url: this.url, serviceName: this.serviceName });
  }
}

/** Ghost as the Workloads component deploys it. */
export const ghostWorkload: WorkloadDefinition<"ghost"> = {
  key: "ghost",
  secrets: ["ghostDatabasePassword", "ghostSmtpPassword"],
  install(ctx) {
    const ghost = new Ghost(
      `${ctx.name}-ghost`,
      {
        ...ctx.base,
        config: ctx.config,
        storageClass: ctx.platform.storageClass,
        databasePassword: ctx.secrets["ghostDatabasePassword"],
        smtpPassword: ctx.secrets["ghostSmtpPassword"],
      },
      ctx.child,
    );
    return { ghost: ghost.url };
  },
};
