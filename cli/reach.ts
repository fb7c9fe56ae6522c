/**
 * After `up`: how to reach each app. A URL on the platform's Gateway is printed as is (with how
 * to find the Gateway's address); an in-cluster URL becomes the exact `kubectl port-forward` line
 * and the local URL it opens.
 */
export interface Reach {
  app: string;
  /** What to open, e.g. https://kuard.kuar.local or http://127.0.0.1:8080 */
  url: string;
  /** The command to run first, when one is needed. */
  command?: string;
}

const IN_CLUSTER_TCP = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)$/;

const portForward = (kubeconfig: string, ns: string, svc: string, local: number, port: number | string) =>
  `kubectl${kubeconfig ? ` --kubeconfig ${kubeconfig}` : ""} -n ${ns} port-forward svc/${svc} ${local}:${port}`;

const DEFAULT_PORT: Record<string, number> = { "http:": 80, "https:": 443, "redis:": 6379 };

/** One entry per endpoint; `localPort` numbers port-forwards from 8080 up, in endpoint order. */
export function reachEndpoints(endpoints: Record<string, string>, kubeconfigHint = "", localPort = 8080): Reach[] {
  const out: Reach[] = [];
  let next = localPort;
  for (const [app, raw] of Object.entries(endpoints)) {
    if (!raw) continue;
    // A TCP endpoint is printed as <svc>.<ns>.svc.cluster.local:<port>, with no scheme (redis).
    const tcp = IN_CLUSTER_TCP.exec(raw);
    if (tcp) {
      const local = next++;
      out.push({
        app,
        url: `127.0.0.1:${local}`,
        command: portForward(kubeconfigHint, tcp[2]!, tcp[1]!, local, tcp[3]!),
      });
      continue;
    }
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      out.push({ app, url: raw });
      continue;
    }
    const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(u.hostname);
    if (!m) {
      out.push({ app, url: raw });
      continue;
    }
    const port = u.port ? Number(u.port) : (DEFAULT_PORT[u.protocol] ?? 80);
    const local = next++;
    const scheme = u.protocol === "https:" ? "https" : u.protocol === "http:" ? "http" : u.protocol.slice(0, -1);
    out.push({
      app,
      url: `${scheme}://127.0.0.1:${local}${u.pathname === "/" ? "" : u.pathname}`,
      command: portForward(kubeconfigHint, m[2]!, m[1]!, local, port),
    });
  }
  return out;
}

/** The lines printed after up. */
export function reachText(reach: Reach[], gatewayNote = true): string[] {
  if (!reach.length) return ["No app endpoints (no workload is enabled)."];
  const width = Math.max(...reach.map((r) => r.app.length));
  const lines = ["How to reach the apps:"];
  for (const r of reach) {
    lines.push(`  ${r.app.padEnd(width)}  ${r.url}`);
    if (r.command) lines.push(`  ${" ".repeat(width)}  first: ${r.command}`);
  }
  if (gatewayNote && reach.some((r) => !r.command && /^https?:\/\//.test(r.url)))
    lines.push(
      "  (URLs without a command go through the cluster's Gateway: point their host names at its address, kubectl get gateway -A)",
    );
  return lines;
}
