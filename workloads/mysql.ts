/**
 * MySQL as the book's "reliable singleton": a one-member StatefulSet with its own volume, probed
 * with `mysqladmin ping`. Passwords come from a Secret the caller owns.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { images } from "../config/versions.js";
import { execProbe, ingressPolicySpec, labels, selectorLabels } from "./common.js";
import { securePod } from "./pod.js";
import type { ResourcesConfig } from "./schema.js";
import { STATEFUL_SET_TIMEOUTS } from "./timeouts.js";

/** The mysql image's `mysql` user and group. */
export const MYSQL_UID = 999;
export const MYSQL_PORT = 3306;
/** Exits 0 whenever the server answers, even when access is denied, so it needs no password. */
export const MYSQL_PING = "mysqladmin ping -h 127.0.0.1 --silent";
/**
 * The data directory lives in a subdirectory of the claim: ext4 volumes from cloud disk drivers
 * hold `lost+found` at their root, and `mysqld --initialize` refuses a non-empty data directory.
 */
export const DATA_SUBPATH = "mysql";

export interface MysqlArgs {
  /** Namespace to deploy into. */
  namespace: pulumi.Input<string>;
  /** `app.kubernetes.io/instance` shared with the app that uses the database. @default name */
  instance?: string;
  /** Database and user created on first start. */
  database: string;
  /** Secret holding the passwords. */
  secretName: pulumi.Input<string>;
  /** Key of the user's password in that Secret. @default "password" */
  passwordKey?: string;
  /** Key of the root password in that Secret. @default "root-password" */
  rootPasswordKey?: string;
  /** Size of the data volume. @default "2Gi" */
  storage?: string;
  /** StorageClass of the data volume. @default the cluster default */
  storageClass?: pulumi.Input<string>;
  /** Requests and limits. @default requests 250m/512Mi, limits 1/1Gi */
  resources?: ResourcesConfig;
  /** Label sets of the pods allowed to connect (the app's own pods). @default [] (nobody) */
  clients?: Record<string, string>[];
  /** Resources every child waits for. @default [] */
  dependsOn?: pulumi.Resource[];
}

export class MysqlSingleton extends pulumi.ComponentResource {
  /** Host name clients connect to (the Service's name; same namespace). */
  readonly host: pulumi.Output<string>;

  constructor(name: string, args: MysqlArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:workloads:MysqlSingleton", name, {}, opts);
    const instance = args.instance ?? name;
    const res = args.resources ?? {
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    };
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    const id = { name: "mysql", instance, component: "database" };
    const sel = selectorLabels(id);
    const meta = { name, namespace: args.namespace, labels: labels(id) };
    const fromSecret = (env: string, key: string) => ({
      name: env,
      valueFrom: { secretKeyRef: { name: args.secretName, key } },
    });

    const svc = new k8s.core.v1.Service(
      name,
      {
        metadata: meta,
        spec: {
          clusterIP: "None",
          selector: sel,
          ports: [{ name: "mysql", port: MYSQL_PORT, targetPort: "mysql" }],
        },
      },
      child,
    );

    new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: meta,
        spec: {
          serviceName: svc.metadata.name,
          replicas: 1,
          selector: { matchLabels: sel },
          template: {
            metadata: { labels: labels(id) },
            spec: securePod({
              uid: MYSQL_UID,
              terminationGracePeriodSeconds: 60,
              containers: [
                {
                  name: "mysql",
                  image: images.mysql,
                  ports: [{ name: "mysql", containerPort: MYSQL_PORT }],
                  env: [
                    { name: "MYSQL_DATABASE", value: args.database },
                    { name: "MYSQL_USER", value: args.database },
                    fromSecret("MYSQL_PASSWORD", args.passwordKey ?? "password"),
                    fromSecret("MYSQL_ROOT_PASSWORD", args.rootPasswordKey ?? "root-password"),
                  ],
                  // First start initialises the data directory, which can take a few minutes.
                  startupProbe: { ...execProbe(MYSQL_PING, 10, 10), failureThreshold: 30 },
                  readinessProbe: execProbe(MYSQL_PING, 10, 0),
                  livenessProbe: execProbe(MYSQL_PING, 20, 0),
                  resources: res,
                  // mysqld writes its socket and pid file, temp files and the secure-file-priv directory.
                  writable: ["/var/run/mysqld", { path: "/tmp", sizeLimit: "512Mi" }, "/var/lib/mysql-files"],
                  volumeMounts: [{ name: "data", mountPath: "/var/lib/mysql", subPath: DATA_SUBPATH }],
                },
              ],
            }),
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data", labels: labels(id) },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: args.storageClass,
                resources: { requests: { storage: args.storage ?? "2Gi" } },
              },
            },
          ],
        },
      },
      { ...child, customTimeouts: STATEFUL_SET_TIMEOUTS },
    );

    new k8s.networking.v1.NetworkPolicy(
      name,
      { metadata: meta, spec: ingressPolicySpec(sel, [{ ports: [MYSQL_PORT], from: args.clients ?? [] }]) },
      child,
    );

    this.host = svc.metadata.name;
    this.registerOutputs({ host: this.host });
  }
}
