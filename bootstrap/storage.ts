/**
 * A default StorageClass backed by Rancher's local-path provisioner, as plain objects (the project
 * publishes no Helm repository). Volumes are directories on the node a pod first lands on. Its
 * helper pods mount host paths, so it gets its own namespace at Pod Security "privileged".
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { images } from "../config/versions.js";
import { namespaceLabels } from "./namespaces.js";
import { disabled, firstReason, type AddonDefinition } from "./addon.js";

export const PROVISIONER = "rancher.io/local-path";

/** The provisioner's config.json: one path for every node. */
export function localPathConfig(path: string): string {
  return JSON.stringify({ nodePathMap: [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: [path] }] }, null, 2);
}

/**
 * The provisioner's command line. Helper pods mount their setup/teardown scripts from the
 * ConfigMap named by `--configmap-name`, whose default ("local-path-config") is not ours.
 */
export function provisionerCommand(configMap: string): string[] {
  return ["local-path-provisioner", "start", "--config", "/etc/config/config.json", "--configmap-name", configMap];
}

const SETUP = `#!/bin/sh
set -eu
mkdir -m 0777 -p "$VOL_DIR"
`;
const TEARDOWN = `#!/bin/sh
set -eu
rm -rf "$VOL_DIR"
`;

export interface LocalPathStorageArgs {
  /** StorageClass name; it becomes the cluster default. @default "local-path" */
  className?: string;
  /** Directory on each node that holds volumes. @default "/opt/local-path-provisioner" */
  path?: string;
  /** Namespace for the provisioner. @default "local-path-storage" */
  namespace?: string;
  /** Resources to wait for first. @default [] */
  dependsOn?: pulumi.Resource[];
}

export class LocalPathStorage extends pulumi.ComponentResource {
  readonly storageClass: pulumi.Output<string>;
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: LocalPathStorageArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:bootstrap:LocalPathStorage", name, {}, opts);
    const className = args.className ?? "local-path";
    const path = args.path ?? "/opt/local-path-provisioner";
    const namespace = args.namespace ?? "local-path-storage";
    const labels = { "app.kubernetes.io/name": "local-path-provisioner", "app.kubernetes.io/part-of": "kuar" };
    const ns = new k8s.core.v1.Namespace(
      `${name}`,
      { metadata: { name: namespace, labels: namespaceLabels("privileged") } },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    const inNs = { parent: this, dependsOn: [ns] };
    const meta = { name, namespace, labels };
    const sa = new k8s.core.v1.ServiceAccount(`${name}`, { metadata: meta }, inNs);
    const clusterRole = new k8s.rbac.v1.ClusterRole(
      `${name}`,
      {
        metadata: { name, labels },
        rules: [
          {
            apiGroups: [""],
            resources: ["nodes", "persistentvolumeclaims", "configmaps", "pods", "pods/log"],
            verbs: ["get", "list", "watch"],
          },
          {
            apiGroups: [""],
            resources: ["persistentvolumes"],
            verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
          },
          { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
          { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
        ],
      },
      { parent: this },
    );
    const clusterBinding = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}`,
      {
        metadata: { name, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace }],
      },
      { parent: this },
    );
    // Helper pods that create and delete volume directories run only in the provisioner's namespace.
    const role = new k8s.rbac.v1.Role(
      `${name}`,
      {
        metadata: meta,
        rules: [
          {
            apiGroups: [""],
            resources: ["pods"],
            verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
          },
        ],
      },
      inNs,
    );
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}`,
      {
        metadata: meta,
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace }],
      },
      inNs,
    );
    const config = new k8s.core.v1.ConfigMap(
      `${name}`,
      {
        metadata: meta,
        data: {
          "config.json": localPathConfig(path),
          setup: SETUP,
          teardown: TEARDOWN,
          "helperPod.yaml": [
            "apiVersion: v1",
            "kind: Pod",
            "metadata:",
            "  name: helper-pod",
            "spec:",
            "  priorityClassName: system-node-critical",
            "  tolerations:",
            "    - key: node.kubernetes.io/disk-pressure",
            "      operator: Exists",
            "      effect: NoSchedule",
            "  containers:",
            "    - name: helper-pod",
            `      image: ${images.localPathHelper}`,
            "      imagePullPolicy: IfNotPresent",
            "",
          ].join("\n"),
        },
      },
      inNs,
    );
    const deployment = new k8s.apps.v1.Deployment(
      `${name}`,
      {
        metadata: meta,
        spec: {
          replicas: 1,
          selector: { matchLabels: { "app.kubernetes.io/name": "local-path-provisioner" } },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: sa.metadata.name,
              securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "local-path-provisioner",
                  image: images.localPathProvisioner,
                  command: provisionerCommand(name),
                  env: [
                    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                    { name: "CONFIG_MOUNT_PATH", value: "/etc/config/" },
                    { name: "SERVICE_ACCOUNT_NAME", value: name },
                    { name: "PROVISIONER_NAME", value: PROVISIONER },
                  ],
                  resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                  // The provisioner serves no health endpoint; the process exiting is what restarts it.
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                  },
                  volumeMounts: [{ name: "config", mountPath: "/etc/config/", readOnly: true }],
                },
              ],
              volumes: [{ name: "config", configMap: { name: config.metadata.name } }],
            },
          },
        },
      },
      { parent: this, dependsOn: [ns, clusterBinding, binding] },
    );
    const storageClass = new k8s.storage.v1.StorageClass(
      `${name}`,
      {
        metadata: { name: className, labels, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: PROVISIONER,
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Delete",
      },
      { parent: this },
    );
    this.storageClass = storageClass.metadata.name;
    this.ready = [deployment, storageClass];
    this.registerOutputs({ storageClass: this.storageClass });
  }
}

/** local-path as the default StorageClass where the cluster has none and containers really run. */
export const storageAddon: AddonDefinition = {
  id: "local-path-storage",
  section: "storage",
  waitsFor: ["coredns"],
  skip: (caps, addons) =>
    firstReason([
      [!addons.storage.enabled, disabled("storage")],
      [
        caps.defaultStorageClass !== undefined,
        `the cluster already has a default StorageClass "${caps.defaultStorageClass}"`,
      ],
      [!caps.runsContainers, "containers do not run on this cluster, so a provisioner could not create volumes"],
    ]),
  workloadsWait: true,
  // Without the provisioner, claims use the cluster's default class, else the name kuar would give it.
  fallback: (caps, addons) => ({ storageClass: pulumi.output(caps.defaultStorageClass ?? addons.storage.className) }),
  install(ctx) {
    const a = ctx.addons.storage;
    const storage = new LocalPathStorage(
      `${ctx.name}-storage`,
      { className: a.className, path: a.path, dependsOn: ctx.waitFor() },
      ctx.child,
    );
    return { ready: storage.ready, storageClass: storage.storageClass };
  },
};
