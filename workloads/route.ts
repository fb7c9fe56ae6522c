/** The HTTPRoute every exposed workload attaches to the platform's Gateway. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { GatewayRef } from "../bootstrap/platform.js";
import { httpRouteSpec } from "./common.js";

/** Routes every path of `hostname` on the shared Gateway to one port of `service`. */
export function httpRoute(
  name: string,
  metadata: pulumi.Input<k8s.types.input.meta.v1.ObjectMeta>,
  gateway: GatewayRef,
  hostname: string,
  service: pulumi.Input<string>,
  port: number,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata,
      spec: httpRouteSpec(gateway, hostname, service, port),
    },
    opts,
  );
}
