/**
 * Settings of `kuar:existing`: a cluster kuar did not make and never creates or destroys. kuar
 * connects through a kubeconfig (a file, or inline as a secret), bootstraps add-ons and deploys
 * workloads. What bootstrap needs to know is declared here or discovered read-only from the API.
 */
import { z } from "zod";
import { fix, issuer, matching, secretField, withFix } from "../../config/toolkit.js";

/** What can be declared instead of discovered; each key left out is discovered (or defaulted). */
export const declaredCapabilities = z.strictObject({
  /** How LoadBalancer Services get an address. @default discovered: "cloud" when nodes carry a cloud provider id (gce://, aws://, azure://, ...), else "none" */
  loadBalancer: z.enum(["cloud", "metallb", "none"]).optional(),
  /** Name of the default StorageClass, or "" for none (bootstrap then adds one). @default discovered: the StorageClass annotated as default */
  defaultStorageClass: z.string().optional(),
  /** CPU architecture of the schedulable nodes. @default discovered from the nodes' status */
  arch: z.enum(["amd64", "arm64", "mixed"]).optional(),
  /** The cluster already runs cluster DNS (CoreDNS or kube-dns). @default discovered: a kube-system Service labelled k8s-app=kube-dns */
  dns: z.boolean().optional(),
  /** The cluster already serves the metrics API. @default discovered: the APIService v1beta1.metrics.k8s.io exists */
  metricsServer: z.boolean().optional(),
  /** Add-ons may pull charts and images from the internet (cannot be discovered). @default true */
  online: z.boolean().optional(),
  /** Containers really run (false on simulated nodes). @default discovered: false only when every schedulable node is a kwok node */
  runsContainers: z.boolean().optional(),
  /** Schedulable nodes, for replicas, anti-affinity and PodDisruptionBudgets. @default discovered: nodes neither cordoned nor tainted NoSchedule/NoExecute */
  nodes: z.int().min(1).max(5000).optional(),
});
export type DeclaredCapabilities = z.output<typeof declaredCapabilities>;

const settingsObject = z.strictObject({
  /** Path of the kubeconfig file (`~` is your home). Exclusive with kubeconfig. @default "~/.kube/config" */
  kubeconfigPath: withFix(
    z.string().min(1),
    "Set the file's path: pulumi config set --path 'kuar:existing.kubeconfigPath' ~/.kube/config.",
  ).optional(),
  /** The kubeconfig itself (YAML), for CI. Must be a secret. Exclusive with kubeconfigPath. @default unset: read kubeconfigPath */
  kubeconfig: secretField(
    withFix(
      z.string().min(1),
      "Store it encrypted: pulumi config set --secret --path 'kuar:existing.kubeconfig' \"$(cat kubeconfig.yaml)\".",
    ),
  ).optional(),
  /** Context of the kubeconfig to use. @default the kubeconfig's current-context */
  context: matching(
    /^\S+$/,
    "expected a context name from the kubeconfig (no spaces)",
    "Run: kubectl config get-contexts -o name, and pick one.",
  ).optional(),
  /** Look up undeclared capabilities through the API, read-only (kubectl get). With false, undeclared ones take their defaults. @default true */
  discover: z.boolean().default(true),
  /** The kubectl that discovery runs. @default "kubectl" on PATH */
  kubectl: z.string().min(1).default("kubectl"),
  /** Capabilities declared instead of discovered. @default {} (discover all) */
  capabilities: declaredCapabilities.default({}),
});

/** `kuar:existing`, validated, with every default resolved. */
export const settings = settingsObject
  .superRefine((s, ctx) => {
    if (s.kubeconfig !== undefined && s.kubeconfigPath !== undefined) {
      issuer(ctx)(
        ["kubeconfig"],
        "(value hidden)",
        "cannot be set together with kubeconfigPath",
        "Keep one: remove kubeconfigPath to use the inline kubeconfig, or remove kubeconfig to read the file.",
      );
    }
    if (!s.discover && s.capabilities.nodes === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["capabilities", "nodes"],
        input: undefined,
        message: "is required when discover is false (kuar cannot count the nodes without asking the API)",
        ...fix("Declare it: pulumi config set --path 'kuar:existing.capabilities.nodes' 3, or set discover to true."),
      });
    }
  })
  .transform((s) => ({
    ...s,
    kubeconfigPath: s.kubeconfig === undefined ? (s.kubeconfigPath ?? "~/.kube/config") : undefined,
  }));
export type ExistingSettings = z.output<typeof settings>;
