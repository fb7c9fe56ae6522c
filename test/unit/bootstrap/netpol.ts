/**
 * Kubernetes NetworkPolicy semantics (networking.k8s.io/v1), enough to compute which pod may open
 * which port on which pod from a set of rendered policies:
 * - a pod is isolated for ingress (egress) when any policy in its namespace selects it and lists
 *   Ingress (Egress) in policyTypes; policyTypes defaults to Ingress, plus Egress when the policy
 *   has egress rules;
 * - policies add up: an isolated pod accepts a connection when any selecting policy's rule allows
 *   it; a connection needs both the source's egress and the destination's ingress to allow it;
 * - a rule with no `from`/`to` matches every peer, with no `ports` every port;
 * - a peer with only `podSelector` means pods of the policy's namespace; only `namespaceSelector`
 *   means every pod of the matching namespaces; both means matching pods in matching namespaces;
 *   an empty selector matches everything; `ipBlock` never matches a pod here (pod IPs are cluster
 *   addresses kuar never names in a block);
 * - a port matches by number (with `endPort`, a range) or by name against the destination pod's
 *   container ports; protocol defaults to TCP.
 * Source: the NetworkPolicy API reference and concepts page (kubernetes.io/docs/concepts/services-networking/network-policies).
 */

export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: unknown;
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: PolicyPort[];
}
export interface Policy {
  namespace: string;
  name: string;
  spec: { podSelector: Selector; policyTypes?: string[]; ingress?: Rule[]; egress?: Rule[] };
}
export interface ContainerPort {
  containerPort: number;
  name?: string;
  protocol?: string;
}
export interface Pod {
  /** A short name for reports. */
  id: string;
  namespace: string;
  labels: Record<string, string>;
  ports: ContainerPort[];
}

export function selects(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok =
      e.operator === "In"
        ? has && (e.values ?? []).includes(labels[e.key]!)
        : e.operator === "NotIn"
          ? !has || !(e.values ?? []).includes(labels[e.key]!)
          : e.operator === "Exists"
            ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

function types(p: Policy): string[] {
  return p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
}

function peerMatches(
  peer: Peer,
  policyNs: string,
  other: Pod,
  namespaces: Record<string, Record<string, string>>,
): boolean {
  if (peer.ipBlock) return false;
  if (!peer.podSelector && !peer.namespaceSelector) return false;
  const nsOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, namespaces[other.namespace] ?? {})
    : other.namespace === policyNs;
  return nsOk && selects(peer.podSelector, other.labels);
}

function portMatches(ports: PolicyPort[] | undefined, dst: Pod, port: ContainerPort): boolean {
  if (!ports || ports.length === 0) return true;
  const proto = port.protocol ?? "TCP";
  return ports.some((p) => {
    if ((p.protocol ?? "TCP") !== proto) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") return port.name === p.port && dst.ports.includes(port);
    return p.endPort === undefined
      ? port.containerPort === p.port
      : port.containerPort >= p.port && port.containerPort <= p.endPort;
  });
}

function side(
  direction: "Ingress" | "Egress",
  subject: Pod,
  peer: Pod,
  dst: Pod,
  port: ContainerPort,
  policies: Policy[],
  namespaces: Record<string, Record<string, string>>,
): boolean {
  const applying = policies.filter(
    (p) =>
      p.namespace === subject.namespace && types(p).includes(direction) && selects(p.spec.podSelector, subject.labels),
  );
  if (applying.length === 0) return true;
  return applying.some((p) =>
    (direction === "Ingress" ? p.spec.ingress : p.spec.egress)?.some((r) => {
      const peers = direction === "Ingress" ? r.from : r.to;
      const peerOk = !peers || peers.length === 0 || peers.some((x) => peerMatches(x, p.namespace, peer, namespaces));
      return peerOk && portMatches(r.ports, dst, port);
    }),
  );
}

/** Whether `src` may open `port` (one of `dst`'s container ports) on `dst`. */
export function allowed(
  src: Pod,
  dst: Pod,
  port: ContainerPort,
  policies: Policy[],
  namespaces: Record<string, Record<string, string>>,
): boolean {
  return (
    side("Egress", src, dst, dst, port, policies, namespaces) &&
    side("Ingress", dst, src, dst, port, policies, namespaces)
  );
}

/** Every allowed `src -> dst:port/proto` among `pods`, sorted. */
export function matrix(pods: Pod[], policies: Policy[], namespaces: Record<string, Record<string, string>>): string[] {
  const out: string[] = [];
  for (const dst of pods)
    for (const port of dst.ports)
      for (const src of pods)
        if (allowed(src, dst, port, policies, namespaces))
          out.push(`${src.id} -> ${dst.id}:${port.containerPort}/${port.protocol ?? "TCP"}`);
  return out.sort();
}
