/**
 * kuar: config -> cluster -> bootstrap -> workloads -> stack outputs.
 * Config is read and validated once; nothing registers if it is wrong.
 */
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { Bootstrap } from "./bootstrap/index.js";
import { readStackConfig } from "./schema.js";
import { targetByName } from "./providers/registry.js";
import { Workloads } from "./workloads/index.js";

const { config, secrets } = readStackConfig();
const stack = pulumi.getStack();

// Only the chosen target's module (and its cloud SDK) is loaded.
const definition = await targetByName(config.target).load();
const cluster = definition.create("kuar", config.settings, {
  stack,
  ephemeral: config.ephemeral,
  secrets: Object.fromEntries(definition.secretKeys.map((k) => [k, secrets[k]]).filter(([, v]) => v)),
});
// The capability checks ran on the target's prediction; a cluster reporting otherwise is a kuar bug.
if (!isDeepStrictEqual(cluster.capabilities, config.capabilities)) {
  throw new Error(
    `target ${config.target} reports capabilities ${JSON.stringify(cluster.capabilities)} but predicted ${JSON.stringify(config.capabilities)} from its settings; its info.ts capabilities() and its cluster must agree`,
  );
}

const bootstrap = new Bootstrap("kuar", { cluster, addons: config.addons, secrets });

const workloads = new Workloads(
  "kuar",
  { cluster, platform: bootstrap.platform, config: config.workloads, secrets },
  { dependsOn: bootstrap },
);

export const target = config.target;
export const clusterName = cluster.name;
export const kubeconfig = pulumi.secret(cluster.kubeconfig);
export const capabilities = cluster.capabilities;
export const skippedAddons = bootstrap.skipped;
export const endpoints = workloads.endpoints;
export const ephemeral = { enabled: config.ephemeral, expiresAt: config.expiresAt ?? null };
