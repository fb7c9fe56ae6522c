/** LocalControlPlane's dynamic provider (loaded by common/dynamic.ts at run time). */
import type * as pulumi from "@pulumi/pulumi";
import { Kwok } from "./kwok.js";
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

export const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ControlPlaneInputs) {
    const kwok = kwokOf(inputs);
    await ensure(inputs, kwok);
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
