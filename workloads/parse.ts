/**
 * parse-server on a MongoDB replica set, with an optional parse-dashboard. The master key lives
 * in a Secret and reaches the pods through secretKeyRef only.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RandomSecret, secretOrGenerated } from "../common/random-secret.js";
import { images } from "../config/versions.js";
import type { GatewayRef } from "../bootstrap/platform.js";
import {
  antiAffinity,
  hostFor,
  labels,
  ingressPolicySpec,
  pdbSpec,
  publicUrl,
  selectorLabels,
  type AppBaseArgs,
} from "./common.js";
import { connectionUri, MongoReplicaSet } from "./mongo.js";
import { securePod } from "./pod.js";
import { parseSchema, type ParseConfig } from "./schema.js";
import { httpRoute } from "./route.js";
import { awaitAddress } from "../common/awaits.js";
import type { WorkloadDefinition } from "./workload.js";

/** The parse images' `node` user. */
export const PARSE_UID = 1000;
const PORT = 1337;
const DASHBOARD_PORT = 4040;
const DATABASE = "parse";
export const MOUNT_PATH = "/parse";
/** parse-server's working directory in the image; it writes `./logs` there by default. */
const LOGS = "/parse-server/logs";

/**
 * parse-dashboard's proxy settings. Its server reads both variables as raw strings, so any
 * value (even "false" or "0") turns one on, and it exits at start when both are set. Behind an
 * https Gateway it trusts the proxy's X-Forwarded-Proto; behind an http-only one it must allow
 * plain HTTP; through a port-forward the browser is local and needs neither.
 */
export function dashboardProxyEnv(gateway: Pick<GatewayRef, "scheme"> | undefined): { name: string; value: string }[] {
  if (!gateway) return [];
  return gateway.scheme === "https"
    ? [{ name: "PARSE_DASHBOARD_TRUST_PROXY", value: "1" }]
    : [{ name: "PARSE_DASHBOARD_ALLOW_INSECURE_HTTP", value: "1" }];
}

/**
 * parse-server's address-related env. The master-key allow-list is compared with Express's
 * `req.ip`, which is the Gateway proxy's pod address unless `trustProxy` names the proxies, so the
 * default allows only localhost (a port-forward). `PARSE_SERVER_TRUST_PROXY` is parsed as JSON.
 */
export function parseServerIpEnv(
  cfg: Pick<ParseConfig, "masterKeyIps" | "trustProxy">,
): { name: string; value: string }[] {
  const env = [{ name: "PARSE_SERVER_MASTER_KEY_IPS", value: cfg.masterKeyIps.join(",") }];
  if (cfg.trustProxy.length) env.push({ name: "PARSE_SERVER_TRUST_PROXY", value: JSON.stringify(cfg.trustProxy) });
  return env;
}

export interface ParseServerArgs extends AppBaseArgs {
  /** Validated `kuar:workloads.parse`. @default the schema defaults */
  config?: ParseConfig;
  /** StorageClass of MongoDB's volumes. @default the cluster default */
  storageClass?: pulumi.Input<string>;
  /** Master key; a secret. @default generated once and kept in state */
  masterKey?: pulumi.Output<string>;
}

export class ParseServer extends pulumi.ComponentResource {
  /** parse-server's API URL (`.../parse`). */
  readonly url: pulumi.Output<string>;
  /** parse-dashboard's URL, when deployed. */
  readonly dashboardUrl: pulumi.Output<string | undefined>;
  /** The parse-server Service's name. */
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: ParseServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:workloads:ParseServer", name, {}, opts);
    const cfg = args.config ?? parseSchema.parse({});
    const domain = args.domain ?? "kuar.local";
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    const namespace = args.namespace;
    const ns = pulumi.output(namespace);

    const mongo = new MongoReplicaSet(
      `${name}-mongo`,
      {
        namespace,
        instance: name,
        members: cfg.mongoMembers,
        storage: cfg.storage,
        storageClass: args.storageClass,
        resources: cfg.mongoResources,
        appUser: { name: "parse", database: DATABASE },
        clients: [selectorLabels({ name: "parse-server", instance: name, component: "api" })],
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );

    const masterKey = secretOrGenerated(`${name}-master-key`, args.masterKey, { length: 40 }, { parent: this });
    const databaseUri = pulumi
      .all([mongo.hosts, mongo.appPassword])
      .apply(([hosts, password]) => connectionUri(hosts, DATABASE, { user: mongo.appUser, password }));
    const secretData: Record<string, pulumi.Output<string>> = {
      "master-key": masterKey,
      "database-uri": pulumi.secret(databaseUri),
    };
    if (cfg.dashboard) {
      secretData["dashboard-password"] = new RandomSecret(`${name}-dashboard-password`, {}, { parent: this }).value;
    }
    const secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: { name, namespace, labels: labels({ name: "parse-server", instance: name, component: "api" }) },
        type: "Opaque",
        stringData: secretData,
      },
      child,
    );
    const fromSecret = (env: string, key: string) => ({
      name: env,
      valueFrom: { secretKeyRef: { name: secret.metadata.name, key } },
    });

    const id = { name: "parse-server", instance: name, component: "api" };
    const sel = selectorLabels(id);
    const meta = { name, namespace, labels: labels(id) };

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
              uid: PARSE_UID,
              affinity: antiAffinity(sel, cfg.replicas),
              containers: [
                {
                  name: "parse-server",
                  image: images.parseServer,
                  ports: [{ name: "http", containerPort: PORT }],
                  env: [
                    { name: "PARSE_SERVER_APPLICATION_ID", value: cfg.appId },
                    fromSecret("PARSE_SERVER_MASTER_KEY", "master-key"),
                    fromSecret("PARSE_SERVER_DATABASE_URI", "database-uri"),
                    { name: "PARSE_SERVER_URL", value: `http://localhost:${PORT}${MOUNT_PATH}` },
                    { name: "PARSE_SERVER_MOUNT_PATH", value: MOUNT_PATH },
                    ...parseServerIpEnv(cfg),
                    { name: "PARSE_SERVER_LOGS_FOLDER", value: LOGS },
                  ],
                  startupProbe: {
                    httpGet: { path: `${MOUNT_PATH}/health`, port: "http" },
                    periodSeconds: 5,
                    failureThreshold: 60,
                  },
                  readinessProbe: {
                    httpGet: { path: `${MOUNT_PATH}/health`, port: "http" },
                    periodSeconds: 10,
                    timeoutSeconds: 3,
                    failureThreshold: 3,
                  },
                  livenessProbe: {
                    httpGet: { path: `${MOUNT_PATH}/health`, port: "http" },
                    periodSeconds: 20,
                    timeoutSeconds: 5,
                    failureThreshold: 6,
                  },
                  resources: cfg.resources,
                  writable: ["/tmp", { path: LOGS, sizeLimit: "256Mi" }],
                },
              ],
            }),
          },
        },
      },
      { ...child, dependsOn: [...child.dependsOn, mongo] },
    );

    const svc = new k8s.core.v1.Service(
      name,
      {
        metadata: awaitAddress(meta),
        spec: { type: "ClusterIP", selector: sel, ports: [{ name: "http", port: PORT, targetPort: "http" }] },
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
      httpRoute(name, meta, args.gateway, hostFor("parse", domain), svc.metadata.name, PORT, child);
    }

    this.serviceName = svc.metadata.name;
    this.url = pulumi
      .all([svc.metadata.name, ns])
      .apply(
        ([s, n]) =>
          `${publicUrl("parse", domain, args.gateway, `http://${s}.${n}.svc.cluster.local:${PORT}`)}${MOUNT_PATH}`,
      );

    this.dashboardUrl = pulumi.output<string | undefined>(undefined);
    if (cfg.dashboard) {
      const dash = { name: "parse-dashboard", instance: name, component: "dashboard" };
      const dashName = `${name}-dashboard`;
      const dashMeta = { name: dashName, namespace, labels: labels(dash) };
      // The dashboard's browser code calls parse-server directly, so it needs the URL a browser
      // can reach: the Gateway's, else a port-forward to localhost.
      const browserUrl = args.gateway
        ? `${publicUrl("parse", domain, args.gateway, "")}${MOUNT_PATH}`
        : `http://localhost:${PORT}${MOUNT_PATH}`;
      new k8s.apps.v1.Deployment(
        dashName,
        {
          metadata: dashMeta,
          spec: {
            replicas: 1,
            selector: { matchLabels: selectorLabels(dash) },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
              metadata: { labels: labels(dash) },
              spec: securePod({
                uid: PARSE_UID,
                containers: [
                  {
                    name: "parse-dashboard",
                    image: images.parseDashboard,
                    ports: [{ name: "http", containerPort: DASHBOARD_PORT }],
                    env: [
                      { name: "PARSE_DASHBOARD_SERVER_URL", value: browserUrl },
                      { name: "PARSE_DASHBOARD_APP_ID", value: cfg.appId },
                      { name: "PARSE_DASHBOARD_APP_NAME", value: cfg.appId },
                      fromSecret("PARSE_DASHBOARD_MASTER_KEY", "master-key"),
                      { name: "PARSE_DASHBOARD_USER_ID", value: "admin" },
                      fromSecret("PARSE_DASHBOARD_USER_PASSWORD", "dashboard-password"),
                      ...dashboardProxyEnv(args.gateway),
                    ],
                    readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 10, failureThreshold: 3 },
                    livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 20, failureThreshold: 6 },
                    resources: {
                      requests: { cpu: "100m", memory: "128Mi" },
                      limits: { cpu: "500m", memory: "256Mi" },
                    },
                  },
                ],
              }),
            },
          },
        },
        child,
      );
      new k8s.networking.v1.NetworkPolicy(
        dashName,
        {
          metadata: dashMeta,
          spec: ingressPolicySpec(selectorLabels(dash), [{ ports: [DASHBOARD_PORT], from: "gateway" }]),
        },
        child,
      );
      const dashSvc = new k8s.core.v1.Service(
        dashName,
        {
          metadata: awaitAddress(dashMeta),
          spec: {
            type: "ClusterIP",
            selector: selectorLabels(dash),
            ports: [{ name: "http", port: DASHBOARD_PORT, targetPort: "http" }],
          },
        },
        child,
      );
      if (args.gateway) {
        httpRoute(
          dashName,
          dashMeta,
          args.gateway,
          hostFor("parse-dashboard", domain),
          dashSvc.metadata.name,
          DASHBOARD_PORT,
          child,
        );
      }
      this.dashboardUrl = pulumi
        .all([dashSvc.metadata.name, ns])
        .apply(([s, n]) =>
          publicUrl("parse-dashboard", domain, args.gateway, `http://${s}.${n}.svc.cluster.local:${DASHBOARD_PORT}`),
        );
    }

    this.registerOutputs({ url: this.url, dashboardUrl: this.dashboardUrl, serviceName: this.serviceName });
  }
}

/** parse-server (and its dashboard when asked for) as the Workloads component deploys it. */
export const parseWorkload: WorkloadDefinition<"parse"> = {
  key: "parse",
  secrets: ["parseMasterKey"],
  install(ctx) {
    const parse = new ParseServer(
      `${ctx.name}-parse`,
      {
        ...ctx.base,
        config: ctx.config,
        storageClass: ctx.platform.storageClass,
        masterKey: ctx.secrets["parseMasterKey"],
      },
      ctx.child,
    );
    return {
      parse: parse.url,
      ...(ctx.config.dashboard ? { parseDashboard: parse.dashboardUrl.apply((u) => u ?? "") } : {}),
    };
  },
};
