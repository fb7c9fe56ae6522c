/**
 * Redis with replication and Sentinel: a StatefulSet whose pod 0 bootstraps as primary and whose
 * other pods replicate, plus a Sentinel StatefulSet watching the master set. The password comes
 * from a Secret through the environment and is written into the runtime config at start; the
 * ConfigMap holds no secret.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { secretOrGenerated } from "../common/random-secret.js";
import { images } from "../config/versions.js";
import {
  antiAffinity,
  execProbe,
  labels,
  ingressPolicySpec,
  pdbSpec,
  selectorLabels,
  type AppBaseArgs,
} from "./common.js";
import { securePod, type SecureContainerArgs } from "./pod.js";
import { redisSchema, type RedisConfig } from "./schema.js";
import { STATEFUL_SET_TIMEOUTS } from "./timeouts.js";
import { awaitAddress } from "../common/awaits.js";
import type { WorkloadDefinition } from "./workload.js";

/** The redis alpine image's `redis` user (uid 999, group 1000). */
export const REDIS_UID = 999;
export const REDIS_GID = 1000;
const PORT = 6379;
const SENTINEL_PORT = 26379;
export const REDIS_PING = "redis-cli ping | grep -q PONG";
export const SENTINEL_PING = `redis-cli -p ${SENTINEL_PORT} ping | grep -q PONG`;

export interface RedisArgs extends AppBaseArgs {
  /** Validated `kuar:workloads.redis`. @default the schema defaults (1 primary, 2 replicas, 3 sentinels) */
  config?: RedisConfig;
  /** StorageClass of the data volumes. @default the cluster default */
  storageClass?: pulumi.Input<string>;
  /** Password of Redis and Sentinel; a secret. @default generated once and kept in state */
  password?: pulumi.Output<string>;
}

/** redis.conf without secrets; the start script appends auth and replication lines. */
export function redisConf(): string {
  return [`port ${PORT}`, "bind * -::*", "dir /data", "appendonly yes", "replica-read-only yes", ""].join("\n");
}

/** sentinel.conf without secrets; `%PRIMARY%` is filled in at start with the current primary. */
export function sentinelConf(masterName: string, quorum: number): string {
  return [
    `port ${SENTINEL_PORT}`,
    "dir /tmp",
    "sentinel resolve-hostnames yes",
    "sentinel announce-hostnames yes",
    `sentinel monitor ${masterName} %PRIMARY% ${PORT} ${quorum}`,
    `sentinel down-after-milliseconds ${masterName} 5000`,
    `sentinel failover-timeout ${masterName} 60000`,
    `sentinel parallel-syncs ${masterName} 1`,
    "",
  ].join("\n");
}

/** Shared by both start scripts: who the primary is now (Sentinel's answer, else pod 0). */
const findPrimary = [
  'self="$(hostname).${HEADLESS_SERVICE}.${POD_NAMESPACE}.svc"',
  'bootstrap="${BOOTSTRAP_PRIMARY}.${REDIS_HEADLESS_SERVICE}.${POD_NAMESPACE}.svc"',
  `primary="$(timeout 5 redis-cli -h "$SENTINEL_SERVICE" -p ${SENTINEL_PORT} sentinel get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | head -n 1 || true)"`,
  'case "$primary" in ""|*" "*) primary="$bootstrap" ;; esac',
  // Quote the password for a config file: escape backslashes and double quotes.
  `pw="$(printf '%s' "$REDIS_PASSWORD" | sed 's/[\\\\"]/\\\\&/g')"`,
];

export function redisStartScript(): string {
  return [
    "set -eu",
    ...findPrimary,
    "conf=/run/redis/redis.conf",
    // Not cp: it would copy the ConfigMap's mode (0555), and the appends below, and a restart's copy, fail.
    "sed '' /etc/kuar/redis.conf > $conf",
    `printf 'requirepass "%s"\\nmasterauth "%s"\\nreplica-announce-ip %s\\n' "$pw" "$pw" "$self" >> $conf`,
    `if [ "$primary" != "$self" ]; then printf 'replicaof %s ${PORT}\\n' "$primary" >> $conf; fi`,
    "exec redis-server $conf",
  ].join("\n");
}

export function sentinelStartScript(): string {
  return [
    "set -eu",
    ...findPrimary,
    "conf=/run/sentinel/sentinel.conf",
    `sed "s/%PRIMARY%/$primary/" /etc/kuar/sentinel.conf > $conf`,
    `printf 'requirepass "%s"\\nsentinel sentinel-pass "%s"\\nsentinel auth-pass %s "%s"\\nsentinel announce-ip %s\\n' "$pw" "$pw" "$MASTER_NAME" "$pw" "$self" >> $conf`,
    "exec redis-sentinel $conf",
  ].join("\n");
}

export class Redis extends pulumi.ComponentResource {
  /** Service Sentinel-aware clients ask for the primary (port 26379). */
  readonly sentinelService: pulumi.Output<string>;
  /** Service in front of pod 0, the bootstrap primary (port 6379); after a failover ask Sentinel. */
  readonly primaryService: pulumi.Output<string>;
  /** The master set name clients pass to Sentinel. */
  readonly masterName: string;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:workloads:Redis", name, {}, opts);
    const cfg = args.config ?? redisSchema.parse({});
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    const namespace = args.namespace;
    const members = cfg.replicas + 1;
    this.masterName = cfg.masterName;

    const serverId = { name: "redis", instance: name, component: "server" };
    const sentinelId = { name: "redis", instance: name, component: "sentinel" };
    const headless = `${name}-headless`;
    const sentinelHeadless = `${name}-sentinel-headless`;
    const sentinelName = `${name}-sentinel`;
    const primaryName = `${name}-primary`;

    const password = secretOrGenerated(`${name}-password`, args.password, {}, { parent: this });
    const secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: { name, namespace, labels: labels(serverId) },
        type: "Opaque",
        stringData: { password },
      },
      child,
    );
    const config = new k8s.core.v1.ConfigMap(
      name,
      {
        metadata: { name, namespace, labels: labels(serverId) },
        data: {
          "redis.conf": redisConf(),
          "sentinel.conf": sentinelConf(cfg.masterName, cfg.quorum),
          "start-redis.sh": redisStartScript(),
          "start-sentinel.sh": sentinelStartScript(),
        },
      },
      child,
    );

    const passwordRef = { secretKeyRef: { name: secret.metadata.name, key: "password" } };
    const env = (ownHeadless: string) => [
      { name: "REDIS_PASSWORD", valueFrom: passwordRef },
      // redis-cli reads it, so probes and scripts never pass the password on a command line.
      { name: "REDISCLI_AUTH", valueFrom: passwordRef },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "MASTER_NAME", value: cfg.masterName },
      { name: "HEADLESS_SERVICE", value: ownHeadless },
      { name: "REDIS_HEADLESS_SERVICE", value: headless },
      { name: "BOOTSTRAP_PRIMARY", value: `${name}-0` },
      { name: "SENTINEL_SERVICE", value: sentinelName },
    ];
    const configVolume = { name: "config", configMap: { name: config.metadata.name, defaultMode: 0o555 } };
    const configMount = { name: "config", mountPath: "/etc/kuar", readOnly: true };

    const service = (svcName: string, id: typeof serverId, port: number, extra: Record<string, unknown>) => {
      const meta = { name: svcName, namespace, labels: labels(id) };
      return new k8s.core.v1.Service(
        svcName,
        {
          // Headless Services have no Endpoints wait to replace (common/awaits.ts).
          metadata: extra["clusterIP"] === "None" ? meta : awaitAddress(meta),
          spec: { selector: selectorLabels(id), ports: [{ name: "redis", port, targetPort: port }], ...extra },
        },
        child,
      );
    };
    // Members must resolve each other before they are ready, so replication and Sentinel can start.
    service(headless, serverId, PORT, { clusterIP: "None", publishNotReadyAddresses: true });
    service(sentinelHeadless, sentinelId, SENTINEL_PORT, { clusterIP: "None", publishNotReadyAddresses: true });
    const sentinelSvc = service(sentinelName, sentinelId, SENTINEL_PORT, { type: "ClusterIP" });
    const primarySvc = new k8s.core.v1.Service(
      primaryName,
      {
        metadata: awaitAddress({ name: primaryName, namespace, labels: labels(serverId) }),
        spec: {
          type: "ClusterIP",
          selector: { ...selectorLabels(serverId), "statefulset.kubernetes.io/pod-name": `${name}-0` },
          ports: [{ name: "redis", port: PORT, targetPort: PORT }],
        },
      },
      child,
    );

    const set = (
      setName: string,
      id: typeof serverId,
      replicas: number,
      ownHeadless: string,
      container: Omit<SecureContainerArgs, "image" | "env" | "writable" | "volumeMounts">,
      runDir: string,
      claim: boolean,
    ) => {
      const sel = selectorLabels(id);
      new k8s.apps.v1.StatefulSet(
        setName,
        {
          metadata: { name: setName, namespace, labels: labels(id) },
          spec: {
            serviceName: ownHeadless,
            replicas,
            podManagementPolicy: claim ? "OrderedReady" : "Parallel",
            selector: { matchLabels: sel },
            template: {
              metadata: { labels: labels(id) },
              spec: securePod({
                uid: REDIS_UID,
                gid: REDIS_GID,
                affinity: antiAffinity(sel, replicas),
                volumes: [configVolume],
                containers: [
                  {
                    ...container,
                    image: images.redis,
                    env: env(ownHeadless),
                    writable: [runDir, "/tmp"],
                    volumeMounts: [configMount, ...(claim ? [{ name: "data", mountPath: "/data" }] : [])],
                  },
                ],
              }),
            },
            volumeClaimTemplates: claim
              ? [
                  {
                    metadata: { name: "data", labels: labels(id) },
                    spec: {
                      accessModes: ["ReadWriteOnce"],
                      storageClassName: args.storageClass,
                      resources: { requests: { storage: cfg.storage } },
                    },
                  },
                ]
              : undefined,
          },
        },
        { ...child, customTimeouts: STATEFUL_SET_TIMEOUTS },
      );
      const pdb = pdbSpec(sel, replicas);
      if (pdb) {
        new k8s.policy.v1.PodDisruptionBudget(
          setName,
          { metadata: { name: setName, namespace, labels: labels(id) }, spec: pdb },
          child,
        );
      }
    };

    set(
      name,
      serverId,
      members,
      headless,
      {
        name: "redis",
        command: ["sh", "/etc/kuar/start-redis.sh"],
        ports: [{ name: "redis", containerPort: PORT }],
        readinessProbe: execProbe(REDIS_PING, 10, 5),
        livenessProbe: execProbe(REDIS_PING, 20, 15),
        resources: cfg.resources,
      },
      "/run/redis",
      true,
    );
    set(
      sentinelName,
      sentinelId,
      cfg.sentinels,
      sentinelHeadless,
      {
        name: "sentinel",
        command: ["sh", "/etc/kuar/start-sentinel.sh"],
        ports: [{ name: "sentinel", containerPort: SENTINEL_PORT }],
        readinessProbe: execProbe(SENTINEL_PING, 10, 5),
        livenessProbe: execProbe(SENTINEL_PING, 20, 15),
        resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
      },
      "/run/sentinel",
      false,
    );

    new k8s.networking.v1.NetworkPolicy(
      name,
      {
        metadata: { name, namespace, labels: labels(serverId) },
        // A shared service: every pod of the namespace may use it (its members included).
        spec: ingressPolicySpec({ "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": name }, [
          { ports: [PORT, SENTINEL_PORT], from: "namespace" },
        ]),
      },
      child,
    );

    this.sentinelService = sentinelSvc.metadata.name;
    this.primaryService = primarySvc.metadata.name;
    this.registerOutputs({
      sentinelService: this.sentinelService,
      primaryService: this.primaryService,
      masterName: this.masterName,
    });
  }
}

/** Redis as the Workloads component deploys it; its endpoints are in-cluster addresses. */
export const redisWorkload: WorkloadDefinition<"redis"> = {
  key: "redis",
  secrets: ["redisPassword"],
  install(ctx) {
    const redis = new Redis(
      `${ctx.name}-redis`,
      {
        ...ctx.base,
        config: ctx.config,
        storageClass: ctx.platform.storageClass,
        password: ctx.secrets["redisPassword"],
      },
      ctx.child,
    );
    return {
      redisSentinel: ctx.inCluster(redis.sentinelService, 26379),
      redisPrimary: ctx.inCluster(redis.primaryService, 6379),
    };
  },
};
