/**
 * Configuration files of the real nodes (containerd, CNI, kubelet, kube-proxy) and the
 * MutatingAdmissionPolicy that places pods: rendered from plain data, tested directly.
 * See docs/targets/local.md for what each setting is for.
 */
import { join } from "node:path";

/** Pod addresses of all real nodes; node i takes 10.244.i.0/24. Lives on one bridge, never routed off it. */
export const POD_CIDR = "10.244.0.0/16";
/** ClusterIPs (kubeadm's conventional range); pods reach them through their node's gateway. */
export const SERVICE_CIDR = "10.96.0.0/12";
/** The bridge the real nodes' pods attach to. */
export const BRIDGE = "kuar0";
/** Routing table holding the pod CIDR's only routes (the bridge, and unreachable for the rest). */
export const ROUTE_TABLE = 244;
export const RULE_PRIORITY = 2440;
/** ClusterIP of the `kubernetes` Service (first address of the Service range) and of kube-dns. */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";
export const CLUSTER_DNS = "10.96.0.10";
/** The label the admission policy selects real nodes by; kwokctl labels its nodes `type: kwok`. */
export const REAL_NODE_LABEL = "kuar.dev/node";
/** kube-proxy skips Services carrying this label (cmd/kube-proxy/app/server.go, v1.34.4). */
export const SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";
/** Its value on the kubernetes Service, which the pod network's DNAT (pod-network.ts) serves. */
export const SERVICE_PROXY_NAME = "kuar-pod-network";
export const KWOK_NODE_LABEL = "type";

export interface RealNodeLayout {
  /** Node name, `<cluster>-real-<i>`. */
  name: string;
  index: number;
  /** Persistent state: kubelet root, containerd root, CNI config, logs. */
  stateDir: string;
  /** Sockets and containerd's runtime state. */
  runDir: string;
  /** 10.244.<i>.0/24 */
  subnet: string;
  gateway: string;
  kubeletPort: number;
  kubeletHealthzPort: number;
}

export const stateRoot = (cluster: string) => join("/var/lib/kuar", cluster);
export const runRoot = (cluster: string) => join("/run/kuar", cluster);

export function nodeLayout(cluster: string, index: number): RealNodeLayout {
  const name = `${cluster}-real-${index}`;
  return {
    name,
    index,
    stateDir: join(stateRoot(cluster), name),
    runDir: join(runRoot(cluster), name),
    subnet: `10.244.${index}.0/24`,
    gateway: `10.244.${index}.1`,
    kubeletPort: 20250 + index,
    kubeletHealthzPort: 20260 + index,
  };
}

export const containerdSocket = (n: RealNodeLayout) => join(n.runDir, "containerd.sock");

/** containerd 1.6 (config version 2): its own root, state and socket per node; CRI with runc and the bridge. */
export function containerdConfig(n: RealNodeLayout, runc: string, sandboxImage: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    "version = 2",
    `root = ${JSON.stringify(join(n.stateDir, "containerd"))}`,
    `state = ${JSON.stringify(join(n.runDir, "containerd"))}`,
    "",
    "[grpc]",
    `  address = ${JSON.stringify(containerdSocket(n))}`,
    "[ttrpc]",
    `  address = ${JSON.stringify(containerdSocket(n) + ".ttrpc")}`,
    "",
    `[plugins."io.containerd.internal.v1.opt"]`,
    `  path = ${JSON.stringify(join(n.stateDir, "opt"))}`,
    "",
    `[${cri}]`,
    `  sandbox_image = ${JSON.stringify(sandboxImage)}`,
    // This VM may not lower OOM scores; without it every sandbox fails to start (TOOLCHAIN.md).
    "  restrict_oom_score_adj = true",
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    `  BinaryName = ${JSON.stringify(runc)}`,
    "  SystemdCgroup = false",
    `[${cri}.cni]`,
    `  bin_dir = "/usr/lib/cni"`,
    `  conf_dir = ${JSON.stringify(join(n.stateDir, "cni"))}`,
    "",
  ].join("\n");
}

/**
 * The CNI network: a bridge with host-local addresses from the node's /24; no masquerade. Pods get
 * routes through their gateway to the other nodes' pods and to ClusterIPs, and no default route:
 * there is nowhere else to go.
 */
export function cniConfig(n: RealNodeLayout): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "kuar",
      plugins: [
        {
          type: "bridge",
          bridge: BRIDGE,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: n.subnet, gateway: n.gateway }]],
            routes: [{ dst: POD_CIDR }, { dst: SERVICE_CIDR }],
            dataDir: join(n.stateDir, "ipam"),
          },
        },
      ],
    },
    null,
    2,
  );
}

/**
 * kubelet settings for this machine (cgroup v1, no swap limits, no QoS cgroups). It serves on the
 * node's gateway address on the pod bridge (its node IP, which the API server dials for exec and
 * logs; kubelet refuses a loopback node IP and then reports no address at all), health on 127.0.0.1.
 */
export function kubeletConfig(n: RealNodeLayout, caFile: string, resolvConf: string): string {
  return JSON.stringify(
    {
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      address: n.gateway,
      port: n.kubeletPort,
      readOnlyPort: 0,
      healthzBindAddress: "127.0.0.1",
      healthzPort: n.kubeletHealthzPort,
      containerRuntimeEndpoint: `unix://${containerdSocket(n)}`,
      cgroupDriver: "cgroupfs",
      failCgroupV1: false,
      failSwapOn: false,
      cgroupsPerQOS: false,
      enforceNodeAllocatable: [],
      clusterDNS: [CLUSTER_DNS],
      clusterDomain: "cluster.local",
      resolvConf,
      podLogsDir: join(n.stateDir, "pod-logs"),
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: caFile } },
      authorization: { mode: "AlwaysAllow" },
      serializeImagePulls: false,
      // Real nodes share one disk with everything else on the machine: evict only when it is truly full.
      evictionHard: { "memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%" },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
    },
    null,
    2,
  );
}

export function kubeletArgs(n: RealNodeLayout, configFile: string, kubeconfig: string): string[] {
  return [
    `--config=${configFile}`,
    `--kubeconfig=${kubeconfig}`,
    `--hostname-override=${n.name}`,
    `--node-ip=${n.gateway}`,
    `--root-dir=${join(n.stateDir, "kubelet")}`,
    `--cert-dir=${join(n.stateDir, "kubelet", "pki")}`,
    `--node-labels=${REAL_NODE_LABEL}=real`,
  ];
}

/**
 * kube-proxy in iptables mode for the whole machine (one for all real nodes). It masquerades all
 * Service traffic so replies come back through the host even between pods on the same bridge, and
 * touches no machine-wide sysctl (conntrack sizing, route_localnet).
 */
export function kubeProxyConfig(kubeconfig: string, hostname: string): string {
  return JSON.stringify(
    {
      apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
      kind: "KubeProxyConfiguration",
      clientConnection: { kubeconfig },
      hostnameOverride: hostname,
      mode: "iptables",
      clusterCIDR: POD_CIDR,
      bindAddress: "127.0.0.1",
      healthzBindAddress: "127.0.0.1:20256",
      metricsBindAddress: "127.0.0.1:20249",
      iptables: { masqueradeAll: true, localhostNodePorts: false },
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: "0s", tcpCloseWaitTimeout: "0s" },
      nodePortAddresses: ["127.0.0.1/32"],
    },
    null,
    2,
  );
}

/** Both spellings of each reference (`redis:8` and `docker.io/library/redis:8`), as the API may see either. */
export function imageAliases(ref: string): string[] {
  const first = ref.split("/")[0]!;
  const hasRegistry = ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const withTag = /:[^/]+$/.test(ref) || ref.includes("@") ? ref : `${ref}:latest`;
  if (hasRegistry) return [...new Set([ref, withTag])];
  const full = `docker.io/${ref.includes("/") ? "" : "library/"}${withTag}`;
  return [...new Set([ref, withTag, full])];
}

export const PLACEMENT_POLICY = "kuar-real-node-placement";

/** CEL for a JSON patch adding `key: value` to the pod's nodeSelector, keeping the keys already there. */
export function nodeSelectorPatch(key: string, value: string): string {
  const escaped = key.replaceAll("~", "~0").replaceAll("/", "~1");
  const entry = `JSONPatch{op: "add", path: ${JSON.stringify(`/spec/nodeSelector/${escaped}`)}, value: ${JSON.stringify(value)}}`;
  const whole = `JSONPatch{op: "add", path: "/spec/nodeSelector", value: {${JSON.stringify(key)}: ${JSON.stringify(value)}}}`;
  return `(has(object.spec.nodeSelector) ? [${entry}] : [${whole}])`;
}

/**
 * A MutatingAdmissionPolicy (admissionregistration.k8s.io/v1beta1) placing each new pod that no
 * one placed yet: on a real node when every image it runs was imported there, else on a kwok node.
 * So workloads keep their manifests and whatever cannot run here stays simulated.
 */
export function placementManifests(images: string[]): string {
  const known = [...new Set(images.flatMap(imageAliases))].sort();
  const list = `[${known.map((i) => JSON.stringify(i)).join(", ")}]`;
  const allKnown =
    `object.spec.containers.all(c, c.image in ${list}) && ` +
    `(!has(object.spec.initContainers) || object.spec.initContainers.all(c, c.image in ${list}))`;
  const policy = {
    apiVersion: "admissionregistration.k8s.io/v1beta1",
    kind: "MutatingAdmissionPolicy",
    metadata: { name: PLACEMENT_POLICY },
    spec: {
      matchConstraints: {
        resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
      },
      matchConditions: [{ name: "not-placed", expression: "!has(object.spec.nodeName) || object.spec.nodeName == ''" }],
      failurePolicy: "Fail",
      reinvocationPolicy: "Never",
      mutations: [
        {
          // A JSON patch, not an ApplyConfiguration: the API server refuses apply-style mutation of
          // pod.spec.nodeSelector, an atomic map (k8s.io/api v0.34.4 core/v1 types.go, +mapType=atomic).
          patchType: "JSONPatch",
          jsonPatch: {
            expression: `${allKnown} ? ${nodeSelectorPatch(REAL_NODE_LABEL, "real")} : ${nodeSelectorPatch(KWOK_NODE_LABEL, "kwok")}`,
          },
        },
      ],
    },
  };
  const binding = {
    apiVersion: "admissionregistration.k8s.io/v1beta1",
    kind: "MutatingAdmissionPolicyBinding",
    metadata: { name: PLACEMENT_POLICY },
    spec: { policyName: PLACEMENT_POLICY },
  };
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: [policy, binding] });
}
