/** LocalControlPlane's dynamic provider (loaded by common/dynamic.ts at run time). */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { Kwok } from "./kwok.js";
import { stateRoot } from "./real-node-config.js";
import { RealNodes } from "./real-nodes.js";

export interface ControlPlaneInputs {
  clusterName: string;
  nodes: number;
  kubeVersion: string;
  /** Real nodes beside the simulated ones. @default 0 */
  realNodes?: number;
  /** image reference -> OCI archive or layout, imported into the real nodes. @default {} */
  images?: Record<string, string>;
}

async function outputs(inputs: ControlPlaneInputs, kwok: Kwok) {
  return { ...inputs, kubeconfig: await kwok.kubeconfig() };
}

const kwokOf = (i: ControlPlaneInputs) => new Kwok({ name: i.clusterName, kubeVersion: i.kubeVersion });
const realNodesOf = (i: ControlPlaneInputs, kwok: Kwok) =>
  new RealNodes({ cluster: i.clusterName, count: i.realNodes ?? 0, images: i.images ?? {}, kwok });

async function ensure(inputs: ControlPlaneInputs, kwok: Kwok): Promise<void> {
  await kwok.ensure(inputs.nodes, inputs.realNodes ?? 0);
  await realNodesOf(inputs, kwok).ensure();
}

/** What a failed create takes down again: only what that create itself made. */
export interface Made {
  controlPlane?: { delete(): Promise<void> };
  realNodes?: { saveLogs(dir: string): Promise<void>; remove(): Promise<void> };
}

/**
 * A create that fails leaves nothing in the stack's state, so `destroy` could never reach what it
 * started (processes, the pod bridge, iptables chains): take it down here, keeping the real
 * nodes' logs in `logsDir`, and return the error to raise, saying so.
 */
export async function rollBackCreate(error: unknown, made: Made, logsDir: string): Promise<Error> {
  const steps: string[] = [];
  if (made.realNodes) {
    await made.realNodes.saveLogs(logsDir).catch(() => undefined);
    await made.realNodes.remove().catch((e: unknown) => steps.push(`removing the real nodes failed: ${String(e)}`));
  }
  await made.controlPlane
    ?.delete()
    .catch((e: unknown) => steps.push(`deleting the control plane failed: ${String(e)}`));
  const what = [made.realNodes && "real nodes", made.controlPlane && "control plane"].filter(Boolean).join(" and ");
  const message = error instanceof Error ? error.message : String(error);
  const tail = what
    ? ` Rolled back the ${what} this create started (the stack's state holds none of it)${made.realNodes ? `; their logs are in ${logsDir}` : ""}.`
    : "";
  return new Error(`${message}.${tail}${steps.length ? ` ${steps.join("; ")}` : ""}`, { cause: error });
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ControlPlaneInputs) {
    const kwok = kwokOf(inputs);
    const nodes = realNodesOf(inputs, kwok);
    const made: Made = {
      controlPlane: kwok.exists() ? undefined : kwok,
      realNodes: (inputs.realNodes ?? 0) > 0 && !existsSync(stateRoot(inputs.clusterName)) ? nodes : undefined,
    };
    try {
      await ensure(inputs, kwok);
    } catch (e) {
      throw await rollBackCreate(e, made, join(homedir(), ".cache", "kuar", "logs", inputs.clusterName));
    }
    return { id: inputs.clusterName, outs: await outputs(inputs, kwok) };
  },

  async diff(_id: string, olds: ControlPlaneInputs, news: ControlPlaneInputs) {
    const replaces = (["clusterName", "kubeVersion"] as const).filter((k) => olds[k] !== news[k]);
    const changes =
      replaces.length > 0 ||
      olds.nodes !== news.nodes ||
      (olds.realNodes ?? 0) !== (news.realNodes ?? 0) ||
      JSON.stringify(olds.images ?? {}) !== JSON.stringify(news.images ?? {});
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async update(_id: string, olds: ControlPlaneInputs, news: ControlPlaneInputs) {
    const kwok = kwokOf(news);
    const before = olds.realNodes ?? 0;
    const after = news.realNodes ?? 0;
    if (after < before) {
      // Fewer real nodes: take them all down (their pods are rescheduled), then bring up the rest.
      await realNodesOf(olds, kwok).remove();
      for (let i = after; i < before; i++) {
        await kwok.kubectl(["delete", "node", `${news.clusterName}-real-${i}`, "--ignore-not-found"]);
      }
    }
    await ensure(news, kwok);
    return { outs: await outputs(news, kwok) };
  },

  async read(id: string, props: ControlPlaneInputs) {
    const kwok = kwokOf(props);
    if (!kwok.exists()) return { id: "", props: {} };
    return { id, props: (await kwok.running()) ? await outputs(props, kwok) : props };
  },

  async delete(_id: string, props: ControlPlaneInputs) {
    const kwok = kwokOf(props);
    await realNodesOf(props, kwok).remove();
    await kwok.delete();
  },
};
