/**
 * A MongoDB replica set as in the book's chapter 13: a StatefulSet with a headless Service, one
 * volume per member, and a Job that initiates the set once (and does nothing when re-run).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { images } from "../config/versions.js";
import {
  antiAffinity,
  containerResources,
  containerSecurityContext,
  execProbe,
  labels,
  pdbSpec,
  podSecurityContext,
  scratch,
  selectorLabels,
} from "./common.js";
import type { ResourcesConfig } from "./schema.js";

/** The mongo image's `mongodb` user and group. */
export const MONGO_UID = 999;
export const REPLICA_SET = "rs0";
const PORT = 27017;
export const PING = `mongosh --quiet --eval "db.adminCommand('ping')"`;

export interface MongoArgs {
  /** Namespace to deploy into. */
  namespace: pulumi.Input<string>;
  /** `app.kubernetes.io/instance` shared with the app that uses the database. @default name */
  instance?: string;
  /** Replica-set members; odd. @default 3 */
  members?: number;
  /** Size of each member's volume. @default "1Gi" */
  storage?: string;
  /** StorageClass of the members' volumes. @default the cluster default */
  storageClass?: pulumi.Input<string>;
  /** Requests and limits of each member. @default requests 250m/512Mi, limits 1/1Gi */
  resources?: ResourcesConfig;
  /** Resources every child waits for. @default [] */
  dependsOn?: pulumi.Resource[];
}

/** `host:port` of every member, by stable pod DNS name. */
export function memberHosts(statefulSet: string, service: string, namespace: string, members: number): string[] {
  return Array.from({ length: members }, (_, i) => `${statefulSet}-${i}.${service}.${namespace}.svc:${PORT}`);
}

/** A connection string naming every member, so drivers find the primary after a failover. */
export function connectionUri(hosts: string[], database: string): string {
  return `mongodb://${hosts.join(",")}/${database}?replicaSet=${REPLICA_SET}`;
}

/**
 * The initiation script (mongosh). `rs.status()` throws NotYetInitialized only before the set
 * exists, so a re-run (a replaced Job, a refresh after the Job's TTL) changes nothing.
 */
export function initiateScript(hosts: string[]): string {
  const config = { _id: REPLICA_SET, members: hosts.map((host, i) => ({ _id: i, host })) };
  return [
    "try {",
    "  const s = rs.status();",
    '  print("replica set " + s.set + " already initiated; nothing to do");',
    "} catch (e) {",
    '  if (e.codeName !== "NotYetInitialized") throw e;',
    `  rs.initiate(${JSON.stringify(config)});`,
    '  print("replica set initiated");',
    "}",
  ].join("\n");
}

/** Shell run by the Job: wait until every member answers a ping, then run the script on the first. */
export function initiateCommand(hosts: string[]): string {
  const names = hosts.map((h) => h.replace(/:\d+$/, ""));
  return [
    "set -eu",
    `for host in ${names.join(" ")}; do`,
    `  until mongosh --quiet --host "$host" --eval "db.adminCommand('ping')" >/dev/null 2>&1; do`,
    '    echo "waiting for $host"; sleep 2',
    "  done",
    "done",
    `mongosh --quiet --host ${names[0]} --eval "$INITIATE_JS"`,
  ].join("\n");
}

export class MongoReplicaSet extends pulumi.ComponentResource {
  /** `host:port` of every member. */
  readonly hosts: pulumi.Output<string[]>;
  /** The headless Service's name. */
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: MongoArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:workloads:MongoReplicaSet", name, {}, opts);
    const members = args.members ?? 3;
    const instance = args.instance ?? name;
    const storage = args.storage ?? "1Gi";
    const res = args.resources ?? {
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    };
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    const namespace = args.namespace;

    const id = { name: "mongo", instance, component: "database" };
    const sel = selectorLabels(id);
    const meta = { name, namespace, labels: labels(id) };
    const tmp = scratch("tmp", "/tmp");
    const configdb = scratch("configdb", "/data/configdb");
    const security = {
      automountServiceAccountToken: false,
      securityContext: podSecurityContext(MONGO_UID),
    };
    // mongosh keeps history and logs under $HOME; the image's home is on the read-only root.
    const home = { name: "HOME", value: "/tmp" };

    const svc = new k8s.core.v1.Service(
      name,
      {
        metadata: meta,
        spec: {
          clusterIP: "None",
          // Members must resolve each other before they are ready, or the set never forms.
          publishNotReadyAddresses: true,
          selector: sel,
          ports: [{ name: "mongo", port: PORT, targetPort: "mongo" }],
        },
      },
      child,
    );

    const sts = new k8s.apps.v1.StatefulSet(
      name,
      {
        metadata: meta,
        spec: {
          serviceName: svc.metadata.name,
          replicas: members,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: sel },
          template: {
            metadata: { labels: labels(id) },
            spec: {
              ...security,
              affinity: antiAffinity(sel, members),
              terminationGracePeriodSeconds: 30,
              containers: [
                {
                  name: "mongo",
                  image: images.mongo,
                  args: ["--replSet", REPLICA_SET, "--bind_ip_all"],
                  env: [home],
                  ports: [{ name: "mongo", containerPort: PORT }],
                  readinessProbe: execProbe(PING, 10, 5),
                  livenessProbe: execProbe(PING, 20, 30),
                  resources: containerResources(res),
                  securityContext: containerSecurityContext(true),
                  volumeMounts: [{ name: "data", mountPath: "/data/db" }, configdb.mount, tmp.mount],
                },
              ],
              volumes: [configdb.volume, tmp.volume],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data", labels: labels(id) },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: args.storageClass,
                resources: { requests: { storage } },
              },
            },
          ],
        },
      },
      child,
    );

    const pdb = pdbSpec(sel, members);
    if (pdb) new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta, spec: pdb }, child);

    this.hosts = pulumi
      .all([sts.metadata.name, svc.metadata.name, pulumi.output(namespace)])
      .apply(([s, h, ns]) => memberHosts(s, h, ns, members));

    const jobId = { name: "mongo", instance, component: "replicaset-init" };
    const jobName = `${name}-init`;
    new k8s.batch.v1.Job(
      jobName,
      {
        metadata: { name: jobName, namespace, labels: labels(jobId) },
        spec: {
          backoffLimit: 10,
          activeDeadlineSeconds: 900,
          ttlSecondsAfterFinished: 3600,
          template: {
            metadata: { labels: labels(jobId) },
            spec: {
              ...security,
              restartPolicy: "OnFailure",
              containers: [
                {
                  name: "initiate",
                  image: images.mongo,
                  command: ["sh", "-c", this.hosts.apply(initiateCommand)],
                  env: [home, { name: "INITIATE_JS", value: this.hosts.apply(initiateScript) }],
                  resources: {
                    requests: { cpu: "50m", memory: "64Mi" },
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
      { ...child, dependsOn: [...child.dependsOn, sts] },
    );

    this.serviceName = svc.metadata.name;
    this.registerOutputs({ hosts: this.hosts, serviceName: this.serviceName });
  }
}
