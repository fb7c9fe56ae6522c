/**
 * `npm run bench`: what users wait for on the local target, each beside a baseline measured in
 * the same run against the same control plane:
 *   evaluation  kuar program under recording mocks   vs  kubectl create --dry-run=client (parse only)
 *   preview     pulumi preview                        vs  kubectl apply --dry-run=client --validate=strict
 *   up          pulumi up to all-ready                vs  kubectl apply --server-side + rollout status / wait
 *   no-op up    pulumi up with nothing to do          vs  kubectl apply --server-side again
 *   destroy     pulumi destroy (objects)              vs  kubectl delete --wait
 * "The same objects" are the inputs Pulumi sent for each Kubernetes resource, taken from the
 * state (decrypted into a temporary file for this run). The control plane itself is created once
 * and excluded from both sides.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStack } from "../test/e2e/harness.js";
import { fullConfig } from "../test/e2e/config.js";
import { ensureToolchain, root } from "./lib/engine.js";

ensureToolchain();
const s = createStack(fullConfig, "bench");
const dir = mkdtempSync(join(tmpdir(), "kuar-bench-"));
const rows: [string, number, number][] = [];

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}
function must(r: { status: number; stdout: string }, what: string) {
  if (r.status !== 0) throw new Error(`${what} failed:\n${r.stdout}`);
}
const kubectl = (args: string[]) => s.kubectl(args);

interface Live {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string };
  [k: string]: unknown;
}

const ORDER = [
  "Namespace",
  "CustomResourceDefinition",
  "ServiceAccount",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "ConfigMap",
  "Secret",
  "PersistentVolumeClaim",
  "Service",
];
const rank = (k: string) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);

try {
  // Warm-up: create the control plane and everything once, read the objects back, then remove the objects.
  must(s.pulumi(["up", "--yes", "--non-interactive"]), "warm-up up");
  // The rendered objects are the inputs Pulumi sent (names filled in), decrypted for this run only.
  const exported = JSON.parse(s.pulumi(["stack", "export", "--show-secrets"]).stdout);
  const ours = (exported.deployment.resources as { type: string; urn: string; inputs?: Live }[]).filter(
    (r) => r.type.startsWith("kubernetes:") && r.inputs?.metadata,
  );
  const objects: Live[] = ours.map((r) => r.inputs!);
  objects.sort((a, b) => rank(a.kind) - rank(b.kind));
  // JSON, not YAML: kubectl reads YAML 1.1, where unquoted strings such as `yes` turn into booleans.
  const manifest = join(dir, "objects.json");
  writeFileSync(manifest, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
  const keep = (exported.deployment.resources as { urn: string }[])
    .map((r) => r.urn)
    .filter((u) => /LocalControlPlane|LocalCluster|pulumi:providers:kubernetes|Stack::/.test(u));
  const exclude = keep.flatMap((u) => ["--exclude", u]);
  must(s.pulumi(["destroy", "--yes", "--non-interactive", ...exclude]), "warm-up destroy");
  console.log(`bench: ${objects.length} objects (${[...new Set(objects.map((o) => o.kind))].join(", ")})`);

  // kuar side
  const evaluation = time(() => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts", "lib", "evaluate.ts"), s.file], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(r.stderr);
  });
  const preview = time(() => must(s.pulumi(["preview", "--non-interactive"]), "preview"));
  const up = time(() => must(s.pulumi(["up", "--yes", "--non-interactive", "--skip-preview"]), "up"));
  const noop = time(() => must(s.pulumi(["up", "--yes", "--non-interactive", "--skip-preview"]), "no-op up"));
  const destroy = time(() =>
    must(s.pulumi(["destroy", "--yes", "--non-interactive", "--skip-preview", ...exclude]), "destroy"),
  );

  // baseline side, same control plane, same objects
  const bEval = time(() => kubectl(["create", "--dry-run=client", "--validate=false", "-o", "name", "-f", manifest]));
  // A server-side dry run cannot place objects in namespaces that do not exist yet, so the
  // preview baseline validates client-side against the server's OpenAPI schema.
  const bPreview = time(() =>
    kubectl(["apply", "--dry-run=client", "--validate=strict", "-o", "name", "-f", manifest]),
  );
  const bUp = time(() => {
    kubectl(["apply", "--server-side", "--force-conflicts", "-f", manifest]);
    for (const o of objects) {
      const ns = o.metadata.namespace ? ["-n", o.metadata.namespace] : [];
      if (o.kind === "Deployment" || o.kind === "StatefulSet" || o.kind === "DaemonSet") {
        kubectl(["rollout", "status", `${o.kind.toLowerCase()}/${o.metadata.name}`, "--timeout=300s", ...ns]);
      } else if (o.kind === "Job") {
        kubectl(["wait", "--for=condition=complete", `job/${o.metadata.name}`, "--timeout=300s", ...ns]);
      }
    }
  });
  const bNoop = time(() => kubectl(["apply", "--server-side", "--force-conflicts", "-f", manifest]));
  const bDestroy = time(() => kubectl(["delete", "--wait", "--ignore-not-found", "-f", manifest]));

  rows.push(
    ["evaluation", evaluation, bEval],
    ["preview", preview, bPreview],
    ["up to ready", up, bUp],
    ["no-op up", noop, bNoop],
    ["destroy", destroy, bDestroy],
  );
  console.log("\n| step | kuar (pulumi) s | baseline (kubectl) s | ratio |\n| --- | ---: | ---: | ---: |");
  for (const [name, a, b] of rows)
    console.log(`| ${name} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(1)}x |`);
} finally {
  s.pulumi(["destroy", "--yes", "--non-interactive"]);
  s.remove();
  execFileSync("rm", ["-rf", dir]);
}
await (await import("./bench-realnodes.js")).benchRealNodes();
