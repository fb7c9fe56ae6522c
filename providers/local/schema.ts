/** Stack config of the local target (`kuar:local`). */
import { z } from "zod";
import { dnsLabel } from "../../config/fields.js";
import { imageProblems, realNodeProblems, thisHost, type HostView } from "./host.js";

/** The schema, checking real-node prerequisites against `host`. */
export function localSettings(host: () => HostView) {
  return z
    .strictObject({
      /** kwok cluster name (also under ~/.kwok/clusters). @default "kuar-<stack>" */
      clusterName: dnsLabel.optional(),
      /** Simulated nodes. @default 3 */
      nodes: z.int().min(1).max(50).default(3),
      /**
       * Real nodes (kubelet + containerd + runc) beside the simulated ones; Linux and root only.
       * See docs/targets/local.md. @default 0
       */
      realNodes: z.int().min(0).max(4).default(0),
      /**
       * Images imported into the real nodes before workloads: image reference as the manifests
       * write it -> OCI archive (.tar) or OCI layout directory on this machine. @default {}
       */
      images: z.record(z.string(), z.string().min(1)).default({}),
    })
    .superRefine((s, ctx) => {
      const h = s.realNodes > 0 || Object.keys(s.images).length > 0 ? host() : undefined;
      if (!h) return;
      for (const p of [...realNodeProblems(s.realNodes, h), ...imageProblems(s.images, s.realNodes, h)]) {
        ctx.addIssue({ code: "custom", path: p.path, input: p.input, message: p.message, params: { fix: p.fix } });
      }
    });
}

export const settings = localSettings(thisHost);
