/** LocalControlPlane's dynamic provider (loaded by common/dynamic.ts at run time). */
import type * as pulumi from "@pulumi/pulumi";
import { Kwok } from "./kwok.js";

export interface ControlPlaneInputs {
  clusterName: string;
  nodes: number;
  kubeVersion: string;
}

async function outputs(inputs: ControlPlaneInputs, kwok: Kwok) {
  return { ...inputs, kubeconfig: await kwok.kubeconfig() };
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ControlPlaneInputs) {
    const kwok = new Kwok({ name: inputs.clusterName, kubeVersion: inputs.kubeVersion });
    await kwok.ensure(inputs.nodes);
    return { id: inputs.clusterName, outs: await outputs(inputs, kwok) };
  },

  async diff(_id: string, olds: ControlPlaneInputs, news: ControlPlaneInputs) {
    const replaces = (["clusterName", "kubeVersion"] as const).filter((k) => olds[k] !== news[k]);
    const changes = replaces.length > 0 || olds.nodes !== news.nodes;
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async update(_id: string, _olds: ControlPlaneInputs, news: ControlPlaneInputs) {
    const kwok = new Kwok({ name: news.clusterName, kubeVersion: news.kubeVersion });
    await kwok.ensure(news.nodes);
    return { outs: await outputs(news, kwok) };
  },

  async read(id: string, props: ControlPlaneInputs) {
    const kwok = new Kwok({ name: props.clusterName, kubeVersion: props.kubeVersion });
    if (!kwok.exists()) return { id: "", props: {} };
    return { id, props: (await kwok.running()) ? await outputs(props, kwok) : props };
  },

  async delete(_id: string, props: ControlPlaneInputs) {
    await new Kwok({ name: props.clusterName, kubeVersion: props.kubeVersion }).delete();
  },
};
