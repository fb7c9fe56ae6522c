/**
 * parse-server on a MongoDB replica set, with an optional parse-dashboard. The master key lives
 * in a Secret and reaches the pods through secretKeyRef only.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RandomSecret, secretOrGenerated } from "../common/random-secret.js";
import { images } from "../config/versions.js";
import {
  antiAffinity,
  containerResources,
  containerSecurityContext,
  hostFor,
  labels,
  networkPolicySpec,
  pdbSpec,
  podSecurityContext,
  publicUrl,
  scratch,
  selectorLabels,
  type AppBaseArgs,
} from "./common.js";
import { connectionUri, MongoReplicaSet } from "./mongo.js";
import { parseSchema, type ParseConfig } from "./schema.js";
import { httpRoute } from "./route.js";

/** The parse images' `node` user. */
export const PARSE_UID = 1000;
const PORT = 1337;
const DASHBOARD_PORT = 4040;
export const MOUNT_PATH = "/parse";

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

    const masterKey = secretOrGenerated(`${name}-master-key`, args.masterKey, { length: 40 }, { parent: this });
    const secretData: Record<string, pulumi.Output<string>> = { "master-key": masterKey };
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

    const mongo = new MongoReplicaSet(
      `${name}-mongo`,
      {
        namespace,
        instance: name,
        members: cfg.mongoMembers,
        storage: cfg.storage,
        storageClass: args.storageClass,
        resources: cfg.mongoResources,
        dependsOn: args.dependsOn,
      },
      { parent: this },
    );

    const id = { name: "parse-server", instance: name, component: "api" };
    const sel = selectorLabels(id);
    const meta = { name, namespace, labels: labels(id) };
    const tmp = scratch("tmp", "/tmp");
    // parse-server writes its log files to ./logs under its working directory.
    const logs = scratch("logs", "/parse-server/logs", "256Mi");

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
            spec: {
              automountServiceAccountToken: false,
              securityContext: podSecurityContext(PARSE_UID),
              affinity: antiAffinity(sel, cfg.replicas),
              containers: [
                {
                  name: "parse-server",
                  image: images.parseServer,
                  ports: [{ name: "http", containerPort: PORT }],
                  env: [
                    { name: "PARSE_SERVER_APPLICATION_ID", value: cfg.appId },
                    fromSecret("PARSE_SERVER_MASTER_KEY", "master-key"),
                    { name: "PARSE_SERVER_DATABASE_URI", value: mongo.hosts.apply((h) => connectionUri(h, "parse")) },
                    { name: "PARSE_SERVER_URL", value: `http://localhost:${PORT}${MOUNT_PATH}` },
                    { name: "PARSE_SERVER_MOUNT_PATH", value: MOUNT_PATH },
                    { name: "PARSE_SERVER_MASTER_KEY_IPS", value: cfg.masterKeyIps.join(",") },
                    { name: "PARSE_SERVER_LOGS_FOLDER", value: logs.mount.mountPath },
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
                  resources: containerResources(cfg.resources),
                  securityContext: containerSecurityContext(true),
                  volumeMounts: [tmp.mount, logs.mount],
                },
              ],
              volumes: [tmp.volume, logs.volume],
            },
          },
        },
      },
      { ...child, dependsOn: [...child.dependsOn, mongo] },
    );

    const svc = new k8s.core.v1.Service(
      name,
      {
        metadata: meta,
        spec: { type: "ClusterIP", selector: sel, ports: [{ name: "http", port: PORT, targetPort: "http" }] },
      },
      child,
    );

    const pdb = pdbSpec(sel, cfg.replicas);
    if (pdb) new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta, spec: pdb }, child);

    const publicPorts = cfg.dashboard ? [PORT, DASHBOARD_PORT] : [PORT];
    new k8s.networking.v1.NetworkPolicy(
      name,
      { metadata: meta, spec: networkPolicySpec(name, { publicPorts }) },
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
              spec: {
                automountServiceAccountToken: false,
                securityContext: podSecurityContext(PARSE_UID),
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
                      // Plain HTTP is only ever a port-forward or an http-only Gateway.
                      { name: "PARSE_DASHBOARD_ALLOW_INSECURE_HTTP", value: String(args.gateway?.scheme !== "https") },
                      { name: "PARSE_DASHBOARD_TRUST_PROXY", value: args.gateway ? "1" : "0" },
                    ],
                    readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 10, failureThreshold: 3 },
                    livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 20, failureThreshold: 6 },
                    resources: {
                      requests: { cpu: "100m", memory: "128Mi" },
                      limits: { cpu: "500m", memory: "256Mi" },
                    },
                    securityContext: containerSecurityContext(true),
                    volumeMounts: [tmp.mount],
                  },
                ],
                volumes: [tmp.volume],
              },
            },
          },
        },
        child,
      );
      const dashSvc = new k8s.core.v1.Service(
        dashName,
        {
          metadata: dashMeta,
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
