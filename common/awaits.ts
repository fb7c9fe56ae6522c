/**
 * What `pulumi up` waits for on a ClusterIP Service with a selector: that the API server has
 * given it its address (`pulumi.com/waitFor: jsonpath={.spec.clusterIP}`), instead of the
 * Kubernetes provider's built-in Service await.
 *
 * Why: the built-in await (pulumi-kubernetes v4.25.0, provider/pkg/await/service.go,
 * processEndpointEvent) waits a fixed 10 s after every change to the Service's Endpoints before
 * it reports ready, and everything that depends on the Service waits with it: on the quick-start
 * stack that was two 10 s waits in a row (CoreDNS, then each app), 20 of the 31 s of `up`.
 * It adds nothing kuar lacks: the pods behind each Service are awaited by their own Deployment
 * or StatefulSet (ready only when their readiness probes pass), and the Service's selector is
 * the same `selectorLabels` the pods carry (tested in test/unit/workloads). A custom ready
 * condition turns the built-in await off (provider/pkg/await/await.go: the legacy awaiter runs
 * only when no `pulumi.com/waitFor` is set). Headless Services need nothing: the built-in await
 * skips their Endpoints (service.go isHeadlessService). LoadBalancer Services are not kuar's to
 * make (Envoy Gateway makes its own), and would keep the built-in await, which waits for the
 * load balancer's address.
 */
import type * as k8s from "@pulumi/kubernetes";

const SERVICE_ADDRESS_AWAIT = { "pulumi.com/waitFor": "jsonpath={.spec.clusterIP}" } as const;

/** `meta` with the Service address await added to its annotations. */
export function awaitAddress<M extends k8s.types.input.meta.v1.ObjectMeta>(meta: M): M {
  return {
    ...meta,
    annotations: { ...(meta.annotations as Record<string, string> | undefined), ...SERVICE_ADDRESS_AWAIT },
  };
}
