/**
 * Volumes on real nodes: local-path-provisioner (built from its module, run on the host) serves
 * the default StorageClass `standard` with one directory per volume under
 * /var/lib/kuar/<cluster>/volumes. All nodes are this machine, so it runs in its shared-filesystem
 * mode: a volume has no node affinity, and its helper pod (busybox) runs wherever placement puts it.
 */
import { images } from "../../config/versions.js";

export const PROVISIONER_NAME = "kuar.dev/local-path";
const NAME = "kuar-local-path";

/** The provisioner's config file: the shared directory volumes are created in. */
export function localPathProvisionerConfig(volumesDir: string): string {
  return JSON.stringify({ sharedFileSystemPath: volumesDir }, null, 2);
}

/** Setup and teardown scripts of the helper pod: volumes are world-writable so non-root pods use them (as upstream's defaults). */
const SETUP = ["#!/bin/sh", "set -eu", 'mkdir -m 0777 -p "$VOL_DIR"', ""].join("\n");
const TEARDOWN = ["#!/bin/sh", "set -eu", 'rm -rf "$VOL_DIR"', ""].join("\n");

/** ServiceAccount and ConfigMap (scripts, helper pod template) the provisioner reads in kube-system. */
export function localPathManifests(): string {
  const helperPod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "helper-pod" },
    spec: {
      priorityClassName: "system-node-critical",
      automountServiceAccountToken: false,
      containers: [{ name: "helper-pod", image: images.localPathHelper, imagePullPolicy: "IfNotPresent" }],
    },
  };
  const items = [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: NAME, namespace: "kube-system" },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: NAME, namespace: "kube-system" },
      data: { setup: SETUP, teardown: TEARDOWN, "helperPod.yaml": JSON.stringify(helperPod, null, 2) },
    },
  ];
  return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}
