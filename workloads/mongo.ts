/**
 * A MongoDB replica set as in the book's chapter 13: a StatefulSet with a headless Service, one
 * volume per member, and a Job that initiates the set once (and does nothing when re-run), with
 * replica-set authentication on: members authenticate to each other with a generated key file,
 * clients with users. Facts about the image are in config/contracts/images/mongo.json.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RandomSecret } from "../common/random-secret.js";
import { images } from "../config/versions.js";
import { antiAffinity, execProbe, ingressPolicySpec, labels, pdbSpec, selectorLabels } from "./common.js";
import { helperResources, securePod } from "./pod.js";
import type { ResourcesConfig } from "./schema.js";
import { JOB_TIMEOUTS, STATEFUL_SET_TIMEOUTS } from "./timeouts.js";

/** The mongo image's `mongodb` user and group. */
export const MONGO_UID = 999;
export const REPLICA_SET = "rs0";
const PORT = 27017;
export const PING = `mongosh --quiet --eval "db.adminCommand('ping')"`;
export const ROOT_USER = "root";
/** Where the Secret's key file is mounted (root-owned, group-readable) and where mongod reads its copy. */
export const KEY_SOURCE = "/etc/mongo-key/keyfile";
export const KEY_FILE = "/run/mongo/keyfile";
/**
 * mongod refuses a key file readable by group or others, and a Secret volume's files belong to
 * root; the init container copies it to an emptyDir as the mongodb user with mode 0400.
 */
export const KEY_COPY = `rm -f ${KEY_FILE} && cp ${KEY_SOURCE} ${KEY_FILE} && chmod 0400 ${KEY_FILE}`;
/**
 * Only member 0 gets the root user from the image's first-start initialisation: members that
 * already hold data cannot join a new set, so the others start empty and copy it by initial sync.
 */
export const START_MEMBER =
  'if [ "${POD_NAME##*-}" != "0" ]; then unset MONGO_INITDB_ROOT_USERNAME MONGO_INITDB_ROOT_PASSWORD; fi; exec docker-entrypoint.sh "$@"';

export interface MongoAppUser {
  /** User name, created in the admin database. */
  name: string;
  /** Database it reads and writes (roles readWrite and dbAdmin on it). */
  database: string;
}

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
  /** The application's user, created (or its password reset) by the init Job. @default {name: "app", database: "app"} */
  appUser?: MongoAppUser;
  /** Label sets of the pods allowed to connect (the app's own pods). @default [] (members and the init Job only) */
  clients?: Record<string, string>[];
  /** Resources every child waits for. @default [] */
  dependsOn?: pulumi.Resource[];
}

/** `host:port` of every member, by stable pod DNS name. */
export function memberHosts(statefulSet: string, service: string, namespace: string, members: number): string[] {
  return Array.from({ length: members }, (_, i) => `${statefulSet}-${i}.${service}.${namespace}.svc:${PORT}`);
}

/**
 * A connection string naming every member, so drivers find the primary after a failover; with
 * credentials, escaped, authenticating against the admin database where the users live.
 */
export function connectionUri(hosts: string[], database: string, auth?: { user: string; password: string }): string {
  const who = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : "";
  const authSource = auth ? "&authSource=admin" : "";
  return `mongodb://${who}${hosts.join(",")}/${database}?replicaSet=${REPLICA_SET}${authSource}`;
}

/**
 * The initiation script (mongosh). It authenticates as root from the environment (never a
 * command line); `rs.status()` throws NotYetInitialized only before the set exists, so a re-run
 * (a replaced Job, a refresh after the Job's TTL) initiates nothing; then it waits for a primary
 * and creates the app user, or resets its password and roles when it exists.
 */
export function initiateScript(hosts: string[]): string {
  const config = { _id: REPLICA_SET, members: hosts.map((host, i) => ({ _id: i, host })) };
  return [
    "const admin = db.getSiblingDB('admin');",
    "admin.auth(process.env.MONGO_ROOT_USERNAME, process.env.MONGO_ROOT_PASSWORD);",
    "try {",
    "  const s = rs.status();",
    '  print("replica set " + s.set + " already initiated; nothing to do");',
    "} catch (e) {",
    '  if (e.codeName !== "NotYetInitialized") throw e;',
    `  rs.initiate(${JSON.stringify(config)});`,
    '  print("replica set initiated");',
    "}",
    "let tries = 0;",
    "while (!admin.runCommand({ hello: 1 }).isWritablePrimary) {",
    '  if (++tries > 90) throw new Error("no primary after 180 s");',
    "  sleep(2000);",
    "}",
    "const user = process.env.APP_USER, database = process.env.APP_DATABASE;",
    "const roles = [{ role: 'readWrite', db: database }, { role: 'dbAdmin', db: database }];",
    "if (admin.getUser(user)) {",
    "  admin.updateUser(user, { pwd: process.env.APP_PASSWORD, roles });",
    '  print("user " + user + " updated");',
    "} else {",
    "  admin.createUser({ user, pwd: process.env.APP_PASSWORD, roles });",
    '  print("user " + user + " created");',
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
  /** The app user's name. */
  readonly appUser: string;
  /** The app user's password; a secret. */
  readonly appPassword: pulumi.Output<string>;

  constructor(name: string, args: MongoArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:workloads:MongoReplicaSet", name, {}, opts);
    const members = args.members ?? 3;
    const instance = args.instance ?? name;
    const storage = args.storage ?? "1Gi";
    const res = args.resources ?? {
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    };
    const app = args.appUser ?? { name: "app", database: "app" };
    const child = { parent: this, dependsOn: args.dependsOn ?? [] };
    const namespace = args.namespace;

    const id = { name: "mongo", instance, component: "database" };
    const sel = selectorLabels(id);
    const meta = { name, namespace, labels: labels(id) };
    // mongosh keeps history and logs under $HOME; the image's HOME is the data directory.
    const home = { name: "HOME", value: "/tmp" };

    // Key files hold 6 to 1024 base64 characters; alphanumerics are a subset.
    const keyFile = new RandomSecret(`${name}-keyfile`, { length: 756 }, { parent: this }).value;
    const rootPassword = new RandomSecret(`${name}-root-password`, {}, { parent: this }).value;
    this.appPassword = new RandomSecret(`${name}-app-password`, {}, { parent: this }).value;
    this.appUser = app.name;
    const secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: meta,
        type: "Opaque",
        stringData: { keyfile: keyFile, "root-password": rootPassword, "app-password": this.appPassword },
      },
      child,
    );
    const fromSecret = (env: string, key: string) => ({
      name: env,
      valueFrom: { secretKeyRef: { name: secret.metadata.name, key } },
    });
    const root = [
      { name: "MONGO_INITDB_ROOT_USERNAME", value: ROOT_USER },
      fromSecret("MONGO_INITDB_ROOT_PASSWORD", "root-password"),
    ];

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
            spec: securePod({
              uid: MONGO_UID,
              affinity: antiAffinity(sel, members),
              terminationGracePeriodSeconds: 30,
              volumes: [
                {
                  name: "key",
                  secret: {
                    secretName: secret.metadata.name,
                    items: [{ key: "keyfile", path: "keyfile" }],
                    defaultMode: 0o440,
                  },
                },
              ],
              initContainers: [
                {
                  name: "keyfile",
                  image: images.mongo,
                  command: ["sh", "-c", KEY_COPY],
                  resources: helperResources(),
                  writable: ["/run/mongo"],
                  volumeMounts: [{ name: "key", mountPath: "/etc/mongo-key", readOnly: true }],
                },
              ],
              containers: [
                {
                  name: "mongo",
                  image: images.mongo,
                  command: ["bash", "-c", START_MEMBER, "start-member"],
                  args: ["mongod", "--replSet", REPLICA_SET, "--bind_ip_all", "--keyFile", KEY_FILE],
                  env: [home, { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }, ...root],
                  ports: [{ name: "mongo", containerPort: PORT }],
                  readinessProbe: execProbe(PING, 10, 5),
                  livenessProbe: execProbe(PING, 20, 30),
                  resources: res,
                  writable: ["/tmp", "/data/configdb", "/run/mongo"],
                  volumeMounts: [{ name: "data", mountPath: "/data/db" }],
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
                resources: { requests: { storage } },
              },
            },
          ],
        },
      },
      { ...child, customTimeouts: STATEFUL_SET_TIMEOUTS },
    );

    const pdb = pdbSpec(sel, members);
    if (pdb) new k8s.policy.v1.PodDisruptionBudget(name, { metadata: meta, spec: pdb }, child);

    const jobId = { name: "mongo", instance, component: "replicaset-init" };
    // Members replicate to each other, the init Job configures them, and only the app's pods connect.
    new k8s.networking.v1.NetworkPolicy(
      name,
      {
        metadata: meta,
        spec: ingressPolicySpec(sel, [{ ports: [PORT], from: [sel, selectorLabels(jobId), ...(args.clients ?? [])] }]),
      },
      child,
    );

    this.hosts = pulumi
      .all([sts.metadata.name, svc.metadata.name, pulumi.output(namespace)])
      .apply(([s, h, ns]) => memberHosts(s, h, ns, members));

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
            spec: securePod({
              uid: MONGO_UID,
              restartPolicy: "OnFailure",
              containers: [
                {
                  name: "initiate",
                  image: images.mongo,
                  command: ["sh", "-c", this.hosts.apply(initiateCommand)],
                  env: [
                    home,
                    { name: "INITIATE_JS", value: this.hosts.apply(initiateScript) },
                    { name: "MONGO_ROOT_USERNAME", value: ROOT_USER },
                    fromSecret("MONGO_ROOT_PASSWORD", "root-password"),
                    { name: "APP_USER", value: app.name },
                    { name: "APP_DATABASE", value: app.database },
                    fromSecret("APP_PASSWORD", "app-password"),
                  ],
                  resources: helperResources(),
                },
              ],
            }),
          },
        },
      },
      { ...child, dependsOn: [...child.dependsOn, sts], customTimeouts: JOB_TIMEOUTS },
    );

    this.serviceName = svc.metadata.name;
    this.registerOutputs({
      hosts: this.hosts,
      serviceName: this.serviceName,
      appUser: this.appUser,
      appPassword: this.appPassword,
    });
  }
}
