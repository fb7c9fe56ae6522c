/**
 * Helm chart arguments from a pin in config/versions.json. Plain data: tested directly.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ChartPin } from "../config/versions.js";

/**
 * `helm.v4.Chart` args for a pinned chart. OCI registries take the full reference as the chart
 * (Helm has no repository index for them); https repositories go through `repositoryOpts`.
 */
export function chartArgs(
  pin: ChartPin,
  namespace: pulumi.Input<string>,
  values: Record<string, unknown>,
): k8s.helm.v4.ChartArgs {
  const oci = pin.repo.startsWith("oci://");
  return {
    chart: oci ? `${pin.repo.replace(/\/+$/, "")}/${pin.chart}` : pin.chart,
    version: pin.version,
    ...(oci ? {} : { repositoryOpts: { repo: pin.repo } }),
    namespace,
    values,
  };
}

/** Splits `registry/repo:tag` into the `{repository, tag}` most charts take. */
export function imageValues(image: string): { repository: string; tag: string } {
  const at = image.lastIndexOf(":");
  if (at <= image.lastIndexOf("/"))
    throw new Error(`image pin "${image}" has no tag; pin an exact tag in config/versions.json`);
  return { repository: image.slice(0, at), tag: image.slice(at + 1) };
}
