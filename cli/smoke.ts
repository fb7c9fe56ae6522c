/** `kuar ephemeral test`: smoke checks against a cluster through kubectl, with a clear verdict. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
export interface SmokeResult {
  ok: boolean;
  checks: Check[];
}

interface Item {
  metadata: { name: string; namespace?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

export async function smokeTest(
  kubectl: string,
  kubeconfig: string,
  log: (line: string) => void,
  timeout = "180s",
): Promise<SmokeResult> {
  const k = async (args: string[]) =>
    (await run(kubectl, ["--kubeconfig", kubeconfig, ...args], { maxBuffer: 64 << 20 })).stdout;
  const items = async (kind: string): Promise<Item[]> => JSON.parse(await k(["get", kind, "-A", "-o", "json"])).items;
  const checks: Check[] = [];
  const check = async (name: string, fn: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: (await fn()).trim().split("\n").pop() ?? "" });
    } catch (e) {
      checks.push({ name, ok: false, detail: String((e as { stderr?: string }).stderr || e).trim() });
    }
    const c = checks.at(-1)!;
    log(`${c.ok ? "PASS" : "FAIL"} ${c.name}${c.ok ? "" : `: ${c.detail}`}`);
  };

  await check("nodes Ready", async () => {
    const nodes = await items("nodes");
    if (nodes.length === 0) throw new Error("the cluster has no nodes");
    const notReady = nodes.filter((n) => !n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    if (notReady.length) throw new Error(`not Ready: ${notReady.map((n) => n.metadata.name).join(", ")}`);
    return `${nodes.length} nodes Ready`;
  });
  for (const kind of ["deployment", "statefulset", "daemonset"]) {
    for (const o of await items(`${kind}s`)) {
      const ns = o.metadata.namespace!;
      await check(`${kind} ${ns}/${o.metadata.name} rolled out`, () =>
        k(["rollout", "status", `${kind}/${o.metadata.name}`, "-n", ns, `--timeout=${timeout}`]),
      );
    }
  }
  for (const j of await items("jobs")) {
    const ns = j.metadata.namespace!;
    await check(`job ${ns}/${j.metadata.name} complete`, () =>
      k(["wait", "--for=condition=complete", `job/${j.metadata.name}`, "-n", ns, `--timeout=${timeout}`]),
    );
  }
  const ok = checks.every((c) => c.ok);
  log(`${ok ? "PASS" : "FAIL"}: ${checks.filter((c) => c.ok).length}/${checks.length} checks passed`);
  return { ok, checks };
}
