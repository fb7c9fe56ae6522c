/**
 * EKS node auto-provisioning with Karpenter under recording mocks: what is created when it is
 * on (and that nothing is when it is off), the inputs each piece gets, the order `up` and
 * `destroy` follow, the controller's permissions, and every config rule it adds.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../../config/errors.js";
import { parseObject } from "../../../config/load.js";
import { useMocks, valueOf } from "../../../kit/mocks.js";
import { ACCOUNT, invokes } from "./eks-aws.js";
import { graph } from "./eks-graph.js";

const SG = "sg-0c1a5ec0123456789";
const mocks = await useMocks({
  stack: "prod",
  invokes,
  outputs: (r) => {
    const arn = `arn:aws:test::${ACCOUNT}:${r.type}/${r.name}`;
    if (r.type === "aws:eks/cluster:Cluster") {
      return {
        arn: `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/${r.inputs["name"]}`,
        endpoint: `https://${r.name}.gr7.eks.amazonaws.com`,
        certificateAuthority: { data: "Q0EtREFUQQ==" },
        identities: [{ oidcs: [{ issuer: `https://oidc.eks.eu-west-1.amazonaws.com/id/${r.name.toUpperCase()}` }] }],
        vpcConfig: { ...(r.inputs["vpcConfig"] as object), clusterSecurityGroupId: SG },
      };
    }
    if (r.type === "aws:iam/role:Role" || r.type === "aws:iam/instanceProfile:InstanceProfile")
      return { arn, name: `${r.name}-physical` };
    if (r.type === "aws:sqs/queue:Queue") return { arn, name: `${r.name}-physical`, url: `https://sqs/${r.name}` };
    return { arn };
  },
});

const { target } = await import("../../../providers/eks/index.js");
const plan = await import("../../../providers/eks/karpenter-plan.js");

const base = {
  region: "eu-west-1",
  availabilityZones: ["eu-west-1a", "eu-west-1b"],
  publicAccessCidrs: ["203.0.113.0/24"],
};
function settingsOf(eks: Record<string, unknown>) {
  return parseObject({ target: "eks", eks }).settings as Parameters<typeof target.create>[1];
}
function problems(eks: Record<string, unknown>): { path: string; message: string; fix: string }[] {
  try {
    parseObject({ target: "eks", eks });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems as { path: string; message: string; fix: string }[];
    throw e;
  }
  return [];
}

const on = target.create(
  "kp",
  settingsOf({
    ...base,
    clusterName: "kp",
    tags: { team: "platform" },
    nodeAutoProvisioning: { maxCpu: 200, maxMemoryGi: 800, capacityTypes: ["spot", "on-demand"] },
  }),
  { stack: "prod", ephemeral: false, secrets: {} },
);
target.create("off", settingsOf({ ...base, clusterName: "off" }), { stack: "off", ephemeral: false, secrets: {} });
target.create(
  "noq",
  settingsOf({
    ...base,
    clusterName: "noq",
    nodeGroups: [{ name: "one", minSize: 1, maxSize: 3 }],
    nodeAutoProvisioning: { maxCpu: 8, maxMemoryGi: 32, interruptionQueue: false },
  }),
  { stack: "noq", ephemeral: false, secrets: {} },
);
await valueOf(on.kubeconfig);
await mocks.settle();

const T = {
  chart: "kubernetes:helm.sh/v4:Chart",
  nodePool: "kubernetes:karpenter.sh/v1:NodePool",
  nodeClass: "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass",
  entry: "aws:eks/accessEntry:AccessEntry",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  profile: "aws:iam/instanceProfile:InstanceProfile",
  queue: "aws:sqs/queue:Queue",
  rule: "aws:cloudwatch/eventRule:EventRule",
  eventTarget: "aws:cloudwatch/eventTarget:EventTarget",
};
const of = (type: string, prefix: string) => mocks.ofType(type).filter((r) => r.name.startsWith(`${prefix}-`));
const inputs = (type: string, name: string) => mocks.one(type, name).inputs as Record<string, any>;

describe("off by default", () => {
  test("a cluster without nodeAutoProvisioning gets no Karpenter piece at all", () => {
    for (const t of Object.values(T).filter((t) => t !== T.entry && t !== T.role)) {
      assert.deepEqual(
        of(t, "off").filter((r) => t !== T.chart || /karpenter/.test(String(r.inputs["chart"]))),
        [],
        t,
      );
    }
    assert.equal(of(T.entry, "off-karpenter").length, 0);
  });
});

describe("the chart", () => {
  test("the pinned chart from its OCI registry into kube-system, with the cluster name, queue and IRSA role", () => {
    const chart = inputs(T.chart, "kp-karpenter");
    assert.equal(chart["chart"], "oci://public.ecr.aws/karpenter/karpenter");
    assert.equal(chart["version"], "1.14.1");
    assert.equal(chart["namespace"], "kube-system");
    const v = chart["values"];
    assert.equal(v.settings.clusterName, "kp");
    assert.equal(v.settings.interruptionQueue, "kp-karpenter-interruption-physical");
    assert.equal(v.serviceAccount.name, "karpenter");
    assert.equal(
      v.serviceAccount.annotations["eks.amazonaws.com/role-arn"],
      `arn:aws:test::${ACCOUNT}:${T.role}/kp-karpenter-controller`,
    );
    assert.equal(v.replicas, 2, "the default system group keeps two untainted nodes");
  });

  test("without an interruption queue no queue, rule or setting exists", () => {
    assert.equal(of(T.queue, "noq").length + of(T.rule, "noq").length, 0);
    assert.equal(inputs(T.chart, "noq-karpenter")["values"].settings.interruptionQueue, undefined);
  });

  test("one replica when only one node can hold the controller (replicas spread one per node)", () => {
    assert.equal(inputs(T.chart, "noq-karpenter")["values"].replicas, 1);
  });
});

describe("IAM", () => {
  test("the controller assumes its role only as kube-system/karpenter of this cluster (IRSA)", () => {
    const trust = JSON.parse(inputs(T.role, "kp-karpenter-controller")["assumeRolePolicy"]);
    const cond = trust.Statement[0].Condition.StringEquals;
    assert.equal(cond["oidc.eks.eu-west-1.amazonaws.com/id/KP-EKS:sub"], "system:serviceaccount:kube-system:karpenter");
    assert.equal(cond["oidc.eks.eu-west-1.amazonaws.com/id/KP-EKS:aud"], "sts.amazonaws.com");
  });

  test("nodes run as their own role, through an instance profile kuar owns and an EC2_LINUX access entry", () => {
    const role = `arn:aws:test::${ACCOUNT}:${T.role}/kp-karpenter-node`;
    assert.equal(
      JSON.parse(inputs(T.role, "kp-karpenter-node")["assumeRolePolicy"]).Statement[0].Principal.Service,
      "ec2.amazonaws.com",
    );
    assert.equal(inputs(T.profile, "kp-karpenter-node")["role"], "kp-karpenter-node-physical");
    const entry = inputs(T.entry, "kp-karpenter-node");
    assert.deepEqual([entry["principalArn"], entry["type"], entry["clusterName"]], [role, "EC2_LINUX", "kp"]);
    assert.equal(
      mocks
        .ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
        .filter((a) => a.inputs["principalArn"] === role).length,
      0,
      "EC2_LINUX entries take no policy association",
    );
  });

  test("the controller policy passes only the node role, reads only kuar's profile, and names the queue", () => {
    const doc = JSON.parse(inputs(T.rolePolicy, "kp-karpenter-controller")["policy"]);
    const sid = (s: string) => doc.Statement.find((x: { Sid: string }) => x.Sid === s);
    assert.equal(sid("PassNodeRole").Resource, `arn:aws:test::${ACCOUNT}:${T.role}/kp-karpenter-node`);
    assert.equal(sid("ReadInstanceProfile").Resource, `arn:aws:test::${ACCOUNT}:${T.profile}/kp-karpenter-node`);
    assert.equal(sid("InterruptionQueue").Resource, `arn:aws:test::${ACCOUNT}:${T.queue}/kp-karpenter-interruption`);
    assert.equal(sid("DiscoverEndpoint").Resource, `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/kp`);
  });
});

describe("controllerPolicy", () => {
  const input = {
    region: "eu-west-1",
    clusterName: "c1",
    clusterArn: "arn:aws:eks:eu-west-1:1:cluster/c1",
    nodeRoleArn: "arn:aws:iam::1:role/n",
    instanceProfileArn: "arn:aws:iam::1:instance-profile/p",
  };
  const statements = (p: typeof input & { queueArn?: string }) =>
    JSON.parse(plan.controllerPolicy(p)).Statement as {
      Sid: string;
      Action: string | string[];
      Condition?: Record<string, Record<string, unknown>>;
    }[];
  const actions = (s: { Action: string | string[] }) => [s.Action].flat();

  test("every action that creates, tags or deletes requires this cluster's owned tag, except launching from shared images and subnets", () => {
    const mutating = statements(input).filter((s) =>
      actions(s).some((a) => /^ec2:(Create|Terminate|Delete|RunInstances)/.test(a)),
    );
    assert.ok(mutating.length >= 6);
    for (const s of mutating) {
      if (s.Sid === "LaunchFromSharedResources") {
        for (const r of [(s as unknown as { Resource: string[] }).Resource].flat())
          assert.match(r, /:(image|snapshot|security-group|subnet|capacity-reservation|placement-group)\/\*$/);
        continue;
      }
      const keys = Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c));
      assert.ok(
        keys.some((k) => k.endsWith("/kubernetes.io/cluster/c1")),
        `${s.Sid} is scoped to the cluster's owned tag`,
      );
    }
  });

  test("no IAM write beyond PassRole (kuar owns the instance profile), and no SQS without a queue", () => {
    const all = statements(input).flatMap(actions);
    assert.deepEqual(all.filter((a) => a.startsWith("iam:")).sort(), [
      "iam:GetInstanceProfile",
      "iam:ListInstanceProfiles",
      "iam:PassRole",
    ]);
    assert.ok(!all.some((a) => a.startsWith("sqs:")));
    assert.ok(
      statements({ ...input, queueArn: "arn:aws:sqs:eu-west-1:1:q" })
        .flatMap(actions)
        .includes("sqs:ReceiveMessage"),
    );
  });

  test("China regions pass the role to ec2.amazonaws.com.cn and use the aws-cn partition", () => {
    const cn = statements({ ...input, region: "cn-north-1" });
    assert.equal(
      cn.find((s) => s.Sid === "PassNodeRole")!.Condition!["StringEquals"]!["iam:PassedToService"],
      "ec2.amazonaws.com.cn",
    );
    assert.match(JSON.stringify(cn), /arn:aws-cn:ec2:cn-north-1/);
  });
});

describe("interruption queue", () => {
  test("SSE on, five minutes' retention, TLS only, and one EventBridge rule per event kind targeting it", () => {
    const q = inputs(T.queue, "kp-karpenter-interruption");
    assert.deepEqual([q["sqsManagedSseEnabled"], q["messageRetentionSeconds"]], [true, 300]);
    const policy = JSON.parse(inputs("aws:sqs/queuePolicy:QueuePolicy", "kp-karpenter-interruption")["policy"]);
    assert.equal(policy.Statement[1].Effect, "Deny");
    const rules = of(T.rule, "kp-karpenter").map((r) => JSON.parse(r.inputs["eventPattern"]));
    assert.deepEqual(
      rules.map((r) => r["detail-type"][0]).sort(),
      plan.INTERRUPTION_EVENTS.map((e) => e.detailType).sort(),
    );
    for (const t of of(T.eventTarget, "kp-karpenter"))
      assert.equal(t.inputs["arn"], `arn:aws:test::${ACCOUNT}:${T.queue}/kp-karpenter-interruption`);
  });
});

describe("default NodePool and EC2NodeClass", () => {
  test("the EC2NodeClass: kuar's instance profile, the AMI alias, the private subnets and the cluster security group", () => {
    const spec = inputs(T.nodeClass, "kp-karpenter-default")["spec"];
    assert.equal(spec.instanceProfile, "kp-karpenter-node-physical");
    assert.deepEqual(spec.amiSelectorTerms, [{ alias: "al2023@latest" }]);
    const privateSubnets = of("aws:ec2/subnet:Subnet", "kp").filter((s) => /private/.test(s.name));
    assert.deepEqual(
      spec.subnetSelectorTerms,
      privateSubnets.map((s) => ({ id: `${s.name}-id` })),
    );
    assert.deepEqual(spec.securityGroupSelectorTerms, [{ id: SG }]);
    assert.deepEqual(spec.tags, { team: "platform", "kuar.io/cluster": "kp" });
    assert.ok(!("role" in spec), "exactly one of role and instanceProfile");
  });

  test("the NodePool: the cluster's architecture, the capacity types, limits and a consolidation delay", () => {
    const spec = inputs(T.nodePool, "kp-karpenter-default")["spec"];
    assert.deepEqual(spec.template.spec.nodeClassRef, {
      group: "karpenter.k8s.aws",
      kind: "EC2NodeClass",
      name: "default",
    });
    const req = Object.fromEntries(
      spec.template.spec.requirements.map((r: { key: string; values: string[] }) => [r.key, r.values]),
    );
    assert.deepEqual(req["kubernetes.io/arch"], [on.capabilities.arch], "kuar picks images by the reported arch");
    assert.deepEqual(req["karpenter.sh/capacity-type"], ["spot", "on-demand"]);
    assert.deepEqual(spec.limits, { cpu: "200", memory: "800Gi" });
    assert.equal(spec.disruption.consolidateAfter, "1m");
    assert.equal(spec.template.spec.expireAfter, "720h");
  });

  test("a mixed cluster lets Karpenter launch both architectures", () => {
    const spec = plan.nodePoolSpec(
      {
        maxCpu: 1,
        maxMemoryGi: 1,
        capacityTypes: ["on-demand"],
        instanceCategories: ["m"],
        amiAlias: "al2023@latest",
        consolidateAfter: "1m",
        expireAfter: "Never",
        interruptionQueue: false,
      },
      "mixed",
    ) as { template: { spec: { requirements: { key: string; values: string[] }[] } } };
    assert.deepEqual(spec.template.spec.requirements[0], {
      key: "kubernetes.io/arch",
      operator: "In",
      values: ["amd64", "arm64"],
    });
  });
});

describe("order", () => {
  const node = (type: string, name: string) => graph.find(type, name);
  test("up: the chart after its role, the node access entry, the queue wiring and the Kubernetes provider's machinery", () => {
    const chart = node(T.chart, "kp-karpenter");
    for (const [t, n] of [
      [T.rolePolicy, "kp-karpenter-controller"],
      [T.entry, "kp-karpenter-node"],
      [T.eventTarget, "kp-karpenter-spot"],
      ["aws:sqs/queuePolicy:QueuePolicy", "kp-karpenter-interruption"],
      ["aws:eks/nodeGroup:NodeGroup", "kp-system"],
      ["aws:eks/addon:Addon", "kp-coredns"],
    ] as const) {
      assert.ok(graph.needs(chart, node(t, n)), `the chart waits for ${n}`);
    }
    assert.ok(graph.needs(node(T.nodeClass, "kp-karpenter-default"), chart), "CRDs and controller first");
    assert.ok(graph.needs(node(T.nodePool, "kp-karpenter-default"), node(T.nodeClass, "kp-karpenter-default")));
  });

  test("destroy: NodePool, EC2NodeClass (its finalizer waits for the nodes), chart, then its role and access entry, then the node groups", () => {
    const order = graph.destroyOrder().map((n) => `${n.type}::${n.name}`);
    const at = (t: string, n: string) => {
      const i = order.indexOf(`${t}::${n}`);
      assert.ok(i >= 0, `${n} is in the graph`);
      return i;
    };
    const seq = [
      at(T.nodePool, "kp-karpenter-default"),
      at(T.nodeClass, "kp-karpenter-default"),
      at(T.chart, "kp-karpenter"),
      Math.min(at(T.rolePolicy, "kp-karpenter-controller"), at(T.entry, "kp-karpenter-node")),
    ];
    for (let i = 1; i < seq.length; i++) assert.ok(seq[i - 1]! < seq[i]!, `step ${i} in order`);
    assert.ok(at(T.entry, "kp-karpenter-node") < at("aws:eks/cluster:Cluster", "kp-eks"));
    assert.ok(
      at(T.chart, "kp-karpenter") < at("aws:eks/nodeGroup:NodeGroup", "kp-system"),
      "the controller goes while managed nodes stand",
    );
  });
});

describe("bad config", () => {
  const nap = { maxCpu: 10, maxMemoryGi: 40 };
  const only = (eks: Record<string, unknown>) => problems({ ...base, ...eks });

  test("accepts the minimal setting", () => assert.deepEqual(only({ nodeAutoProvisioning: nap }), []));

  test("fails when the limits are missing", () => {
    const p = only({ nodeAutoProvisioning: {} });
    assert.deepEqual(p.map((x) => x.path).sort(), [
      "kuar:eks.nodeAutoProvisioning.maxCpu",
      "kuar:eks.nodeAutoProvisioning.maxMemoryGi",
    ]);
  });

  test("fails when no node group can run the controller (all tainted, or none keeps a node)", () => {
    const tainted = only({
      nodeAutoProvisioning: nap,
      nodeGroups: [
        { name: "gpu", minSize: 1, maxSize: 2, taints: [{ key: "gpu", value: "true", effect: "NoSchedule" }] },
      ],
    });
    assert.equal(tainted.length, 1);
    assert.equal(tainted[0]!.path, "kuar:eks.nodeGroups");
    assert.match(tainted[0]!.message, /Karpenter controller nowhere to run/);
    assert.match(tainted[0]!.fix, /pulumi config set --path 'kuar:eks\.nodeGroups\[0\]\.minSize' 2/);
    assert.equal(only({ nodeAutoProvisioning: nap, nodeGroups: [{ name: "zero", minSize: 0, maxSize: 2 }] }).length, 1);
    const critical = only({
      nodeAutoProvisioning: nap,
      nodeGroups: [
        {
          name: "sys",
          minSize: 1,
          maxSize: 2,
          taints: [{ key: "CriticalAddonsOnly", value: "true", effect: "NoSchedule" }],
        },
      ],
    });
    assert.deepEqual(critical, [], "the chart tolerates CriticalAddonsOnly");
  });

  test("fails when the cluster version is newer than Karpenter 1.14.1 supports", () => {
    const p = only({ nodeAutoProvisioning: nap, version: "1.37" });
    assert.equal(p.length, 1);
    assert.match(p[0]!.message, /supports Kubernetes up to 1\.36/);
    assert.match(p[0]!.fix, /pulumi config set --path 'kuar:eks\.version' 1\.36/);
    assert.deepEqual(only({ version: "1.37" }), [], "no rule without Karpenter");
  });

  test("fails when a tag key is one Karpenter reserves", () => {
    const p = only({
      nodeAutoProvisioning: nap,
      tags: { "kubernetes.io/cluster/x": "owned", "karpenter.sh/nodepool": "a", ok: "1" },
    });
    assert.deepEqual(
      p.map((x) => x.path).sort(),
      ['kuar:eks.tags["karpenter.sh/nodepool"]', 'kuar:eks.tags["kubernetes.io/cluster/x"]'].sort(),
    );
  });

  test("fails when the AMI alias names another family or a malformed version", () => {
    for (const amiAlias of ["al2@latest", "windows2022@latest", "al2023", "al2023@20250101"]) {
      const p = only({ nodeAutoProvisioning: { ...nap, amiAlias } });
      assert.equal(p.length, 1, amiAlias);
      assert.equal(p[0]!.path, "kuar:eks.nodeAutoProvisioning.amiAlias");
    }
    assert.deepEqual(only({ nodeAutoProvisioning: { ...nap, amiAlias: "bottlerocket@v1.20.3" } }), []);
  });

  test("fails when a duration does not match the NodePool CRD's pattern", () => {
    const p = only({ nodeAutoProvisioning: { ...nap, consolidateAfter: "1 minute", expireAfter: "30d" } });
    assert.deepEqual(p.map((x) => x.path).sort(), [
      "kuar:eks.nodeAutoProvisioning.consolidateAfter",
      "kuar:eks.nodeAutoProvisioning.expireAfter",
    ]);
    assert.deepEqual(only({ nodeAutoProvisioning: { ...nap, consolidateAfter: "1h30m", expireAfter: "Never" } }), []);
  });

  test("fails when a capacity type is not one Karpenter knows", () => {
    const p = only({ nodeAutoProvisioning: { ...nap, capacityTypes: ["SPOT"] } });
    assert.equal(p[0]?.path, "kuar:eks.nodeAutoProvisioning.capacityTypes[0]");
  });
});
