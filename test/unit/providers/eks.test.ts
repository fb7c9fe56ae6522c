/**
 * The EKS target under recording mocks: the network, the control plane, IAM, node groups,
 * add-ons, the kubeconfig and the capabilities, the dependency graph `up` and `destroy` follow;
 * plus every cross-field config check. The invokes the target's preflight makes are declared
 * with answers shaped as AWS gives them; any other invoke throws.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { ConfigError } from "../../../config/errors.js";
import { cidrContains } from "../../../config/cidr.js";
import { parseConfig, parseObject } from "../../../config/load.js";
import { stackFileConfig } from "../../../config/stack-file.js";
import { secretOf, useMocks, valueOf } from "../../../kit/mocks.js";
import { ACCOUNT, CREATOR, invokes } from "./eks-aws.js";
import { graph } from "./eks-graph.js";

const mocks = await useMocks({
  stack: "prod",
  invokes,
  outputs: (r) => {
    const arn = `arn:aws:test::${ACCOUNT}:${r.type}/${r.name}`;
    if (r.type === "aws:eks/cluster:Cluster") {
      return {
        arn: `arn:aws:eks:${r.inputs["name"] === "kuar-prod" ? "eu-west-1" : "us-east-1"}:${ACCOUNT}:cluster/${r.inputs["name"]}`,
        endpoint: `https://${r.name}.gr7.eks.amazonaws.com`,
        certificateAuthority: { data: "Q0EtREFUQQ==" },
        identities: [{ oidcs: [{ issuer: `https://oidc.eks.eu-west-1.amazonaws.com/id/${r.name.toUpperCase()}` }] }],
      };
    }
    if (r.type === "aws:iam/role:Role") return { arn, name: `${r.name}-physical` };
    return { arn };
  },
});

const { target } = await import("../../../providers/eks/index.js");
const k8s = await import("@pulumi/kubernetes");
const plan = await import("../../../providers/eks/plan.js");
const { renderKubeconfig } = await import("../../../providers/eks/kubeconfig.js");

const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const prodInput = {
  region: "eu-west-1",
  availabilityZones: ZONES,
  publicAccessCidrs: ["203.0.113.0/24"],
  kubeconfigRoleArn: `arn:aws:iam::${ACCOUNT}:role/platform-admin`,
  admins: [`arn:aws:iam::${ACCOUNT}:role/platform-admin`],
  nodeGroups: [
    {
      name: "system",
      instanceTypes: ["m7g.large"],
      minSize: 2,
      maxSize: 3,
      taints: [{ key: "CriticalAddonsOnly", value: "true", effect: "NoSchedule" }],
    },
    {
      name: "workload",
      instanceTypes: ["m7i.large", "m6i.large"],
      minSize: 1,
      maxSize: 6,
      desiredSize: 2,
      maxUnavailablePercentage: 25,
      capacityType: "SPOT",
      labels: { tier: "apps" },
      taints: [
        { key: "spot", value: "true", effect: "PreferNoSchedule" },
        { key: "drain", effect: "NoExecute" },
      ],
    },
  ],
};

/** Parses `kuar:eks` through the real config loader, as the program does. */
function settingsOf(eks: Record<string, unknown>) {
  return parseObject({ target: "eks", eks }).settings as Parameters<typeof target.create>[1];
}

/** Records each resource's options that never reach the mocks: protect, parent, ignoreChanges. */
const seen = new Map<
  string,
  {
    protect: boolean | undefined;
    parent: pulumi.Resource | undefined;
    ignoreChanges: string[] | undefined;
    deleteBeforeReplace: boolean | undefined;
  }
>();
const record = {
  transformations: [
    (a: pulumi.ResourceTransformationArgs) =>
      void seen.set(`${a.type}::${a.name}`, {
        protect: a.opts.protect,
        parent: a.opts.parent,
        ignoreChanges: a.opts.ignoreChanges,
        deleteBeforeReplace: (a.opts as pulumi.CustomResourceOptions).deleteBeforeReplace,
      }) as undefined,
  ],
};

const prod = target.create("kuar", settingsOf(prodInput), { stack: "prod", ephemeral: false, secrets: {} }, record);
const eph = target.create(
  "eph",
  settingsOf({
    region: "eu-west-1",
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    clusterName: "kuar-ci-123",
    endpointPrivateAccess: true,
    endpointPublicAccess: true,
    restrictPublicEndpoint: false,
    network: { vpcCidr: "10.20.0.0/16", natGateways: "single" },
    podIdentity: true,
    vpcCniIrsa: true,
    ebsCsiDriver: false,
    secretsEncryption: false,
    clusterCreatorAdmin: false,
    admins: [CREATOR],
  }),
  { stack: "ci-123", ephemeral: true, secrets: {} },
  record,
);
const byo = target.create(
  "byo",
  settingsOf({
    region: "us-east-1",
    availabilityZones: ["us-east-1a", "us-east-1b"],
    clusterName: "byo",
    version: "1.35",
    endpointPublicAccess: false,
    network: {
      existingVpc: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] },
    },
  }),
  { stack: "byo", ephemeral: false, secrets: {} },
  record,
);
// What bootstrap and workloads create through the cluster's provider: the objects that hold
// cloud resources (a load balancer, an EBS volume) and must go before the cluster's machinery.
const onCluster = { provider: prod.provider };
new k8s.core.v1.Service("app-lb", { spec: { type: "LoadBalancer", ports: [{ port: 80 }] } }, onCluster);
new k8s.core.v1.PersistentVolumeClaim(
  "app-data",
  { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
  onCluster,
);
new k8s.apiextensions.CustomResource(
  "app-gateway",
  { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", spec: { gatewayClassName: "envoy", listeners: [] } },
  onCluster,
);
// kuar's own add-ons on top, as index.ts builds them, so the destroy order is checked for them too.
const { Bootstrap } = await import("../../../bootstrap/index.js");
new Bootstrap("kuar", { cluster: prod, addons: parseObject({ target: "eks", eks: prodInput }).addons, secrets: {} });
await valueOf(prod.kubeconfig);
await mocks.settle();

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  nat: "aws:ec2/natGateway:NatGateway",
  route: "aws:ec2/route:Route",
  routeTable: "aws:ec2/routeTable:RouteTable",
  assoc: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  igw: "aws:ec2/internetGateway:InternetGateway",
  cluster: "aws:eks/cluster:Cluster",
  nodeGroup: "aws:eks/nodeGroup:NodeGroup",
  addon: "aws:eks/addon:Addon",
  attach: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  oidc: "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
  role: "aws:iam/role:Role",
};
const of = (type: string, prefix: string) => mocks.ofType(type).filter((r) => r.name.startsWith(`${prefix}-`));

describe("network", () => {
  test("one VPC with DNS on, a public and a private subnet per zone, tagged for load balancers", () => {
    const vpc = mocks.one(T.vpc, "kuar-vpc");
    assert.equal(vpc.inputs["cidrBlock"], "10.0.0.0/16");
    assert.equal(vpc.inputs["enableDnsHostnames"], true);
    for (const [i, az] of ZONES.entries()) {
      const pub = mocks.one(T.subnet, `kuar-vpc-public-${az}`).inputs;
      const priv = mocks.one(T.subnet, `kuar-vpc-private-${az}`).inputs;
      assert.equal(pub["availabilityZone"], az);
      assert.equal(pub["cidrBlock"], `10.0.${192 + 4 * i}.0/22`);
      assert.equal(priv["cidrBlock"], `10.0.${64 * i}.0/18`);
      assert.equal(pub["tags"]["kubernetes.io/role/elb"], "1");
      assert.equal(priv["tags"]["kubernetes.io/role/internal-elb"], "1");
      assert.equal(pub["tags"]["kubernetes.io/role/internal-elb"], undefined);
      for (const s of [pub, priv]) assert.equal(s["tags"]["kubernetes.io/cluster/kuar-prod"], "shared");
      assert.equal(pub["mapPublicIpOnLaunch"], false);
    }
    assert.equal(of(T.subnet, "kuar-vpc").length, 6);
  });

  test("an internet gateway, one NAT gateway per zone in the public subnets, and default routes", () => {
    assert.equal(of(T.igw, "kuar-vpc").length, 1);
    const nats = of(T.nat, "kuar-vpc");
    assert.equal(nats.length, 3);
    for (const az of ZONES) {
      assert.equal(mocks.one(T.nat, `kuar-vpc-nat-${az}`).inputs["subnetId"], `kuar-vpc-public-${az}-id`);
      const route = mocks.one(T.route, `kuar-vpc-private-${az}-default`).inputs;
      assert.equal(route["destinationCidrBlock"], "0.0.0.0/0");
      assert.equal(route["natGatewayId"], `kuar-vpc-nat-${az}-id`, "each zone egresses through its own NAT");
    }
    assert.equal(mocks.one(T.route, "kuar-vpc-public-default").inputs["gatewayId"], "kuar-vpc-igw-id");
    assert.equal(of(T.routeTable, "kuar-vpc").length, 4);
    assert.equal(of(T.assoc, "kuar-vpc").length, 6);
  });

  test("a single NAT gateway serves every zone when asked", () => {
    assert.equal(of(T.nat, "eph-vpc").length, 1);
    for (const az of ["eu-west-1a", "eu-west-1b"]) {
      assert.equal(
        mocks.one(T.route, `eph-vpc-private-${az}-default`).inputs["natGatewayId"],
        "eph-vpc-nat-eu-west-1a-id",
      );
    }
    assert.equal(mocks.one(T.vpc, "eph-vpc").inputs["cidrBlock"], "10.20.0.0/16");
  });

  test("an existing VPC is used as is: nothing networked is created", async () => {
    assert.equal(of(T.vpc, "byo").length + of(T.subnet, "byo").length + of(T.nat, "byo").length, 0);
    const c = mocks.one(T.cluster, "byo-eks").inputs;
    assert.deepEqual(c["vpcConfig"]["subnetIds"], ["subnet-0aaa1111", "subnet-0bbb2222"]);
    assert.equal(c["vpcConfig"]["endpointPublicAccess"], false);
    assert.equal(c["vpcConfig"]["publicAccessCidrs"], undefined);
    assert.equal(await valueOf(byo.name), "byo");
    const read = mocks.invoked.filter((i) => i.token === "aws:ec2/getSubnet:getSubnet").map((i) => i.inputs["id"]);
    assert.deepEqual(read, ["subnet-0aaa1111", "subnet-0bbb2222"], "its subnets are checked at preview");
  });
});

describe("control plane", () => {
  test("pinned version, private subnets, private endpoint and a restricted public one", () => {
    const c = mocks.one(T.cluster, "kuar-eks").inputs;
    assert.equal(c["name"], "kuar-prod");
    assert.equal(c["version"], "1.34");
    assert.deepEqual(c["vpcConfig"], {
      subnetIds: ZONES.map((az) => `kuar-vpc-private-${az}-id`),
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24"],
    });
    assert.equal(c["bootstrapSelfManagedAddons"], false);
  });

  test("access entries instead of aws-auth, KMS envelope encryption of secrets, control plane logs", () => {
    const c = mocks.one(T.cluster, "kuar-eks").inputs;
    assert.deepEqual(c["accessConfig"], { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
    assert.deepEqual(c["encryptionConfig"], {
      provider: { keyArn: `arn:aws:test::${ACCOUNT}:aws:kms/key:Key/kuar-secrets` },
      resources: ["secrets"],
    });
    assert.equal(mocks.one("aws:kms/key:Key", "kuar-secrets").inputs["enableKeyRotation"], true);
    assert.deepEqual(c["enabledClusterLogTypes"], ["api", "audit", "authenticator"]);
    const logs = mocks.one("aws:cloudwatch/logGroup:LogGroup", "kuar-control-plane-logs").inputs;
    assert.equal(logs["name"], "/aws/eks/kuar-prod/cluster");
    assert.equal(logs["retentionInDays"], 90);
    assert.equal(mocks.one(T.cluster, "eph-eks").inputs["encryptionConfig"], undefined);
  });

  test("admins get access entries with the cluster admin policy", () => {
    const entry = mocks.one("aws:eks/accessEntry:AccessEntry", "kuar-admin-0").inputs;
    assert.equal(entry["principalArn"], `arn:aws:iam::${ACCOUNT}:role/platform-admin`);
    const assoc = mocks.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "kuar-admin-0").inputs;
    assert.equal(assoc["policyArn"], "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
    assert.deepEqual(assoc["accessScope"], { type: "cluster" });
  });

  test("the creator gets an entry kuar manages, for the IAM role behind its session (path kept)", () => {
    const entry = mocks.one("aws:eks/accessEntry:AccessEntry", "kuar-creator").inputs;
    assert.equal(entry["principalArn"], CREATOR);
    assert.equal(entry["type"], "STANDARD");
    const assoc = mocks.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "kuar-creator").inputs;
    assert.equal(assoc["principalArn"], CREATOR);
    assert.equal(assoc["policyArn"], "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
    assert.equal(mocks.named("eph-creator").length, 0, "clusterCreatorAdmin false: no creator entry");
    // eph lists the creator in admins instead: still exactly one entry for that principal.
    const ephEntries = of("aws:eks/accessEntry:AccessEntry", "eph").map((r) => r.inputs["principalArn"]);
    assert.deepEqual(ephEntries, [CREATOR]);
  });

  test("toggling clusterCreatorAdmin never touches the cluster: the bootstrap flag is constant and ignored", () => {
    // bootstrapClusterCreatorAdminPermissions is create-only (a change replaces the cluster).
    for (const c of ["kuar-eks", "eph-eks", "byo-eks"]) {
      assert.deepEqual(mocks.one(T.cluster, c).inputs["accessConfig"], {
        authenticationMode: "API",
        bootstrapClusterCreatorAdminPermissions: false,
      });
      assert.ok(
        seen.get(`${T.cluster}::${c}`)?.ignoreChanges?.includes("accessConfig.bootstrapClusterCreatorAdminPermissions"),
        `${c} ignores the bootstrap flag (clusters made with true keep it)`,
      );
    }
  });

  test("lookups go through their own provider (the main one waits for them), which no resource uses", () => {
    const lookup = mocks.one("pulumi:providers:aws", "kuar-lookup").inputs;
    assert.equal(lookup["region"], "eu-west-1");
    assert.equal(lookup["defaultTags"], undefined);
    const aws = graph.invokes.filter((i) => i.token.startsWith("aws:"));
    assert.ok(aws.length >= 3 * 8, "every cluster looks up identity, regions, zones, versions, its cluster, add-ons");
    for (const i of aws) assert.match(i.provider, /pulumi:providers:aws::(kuar|eph|byo)-lookup::/, i.token);
    for (const r of mocks.resources) assert.doesNotMatch(r.provider ?? "", /-lookup::/, `${r.type} ${r.name}`);
  });

  test("AWS resources use a provider built from the settings' region", () => {
    const p = mocks.one("pulumi:providers:aws", "kuar-aws").inputs;
    assert.equal(p["region"], "eu-west-1");
    assert.match(JSON.stringify(p["defaultTags"]), /kuar\.io\/cluster.*kuar-prod/);
    for (const r of [
      mocks.one(T.cluster, "kuar-eks"),
      mocks.one(T.vpc, "kuar-vpc"),
      mocks.one(T.nodeGroup, "kuar-system"),
    ]) {
      assert.match(r.provider ?? "", /pulumi:providers:aws::kuar-aws::/);
    }
  });
});

describe("deletion protection", () => {
  test("production stacks protect the cluster, its key and the VPC, and turn on EKS deletion protection", () => {
    assert.equal(mocks.one(T.cluster, "kuar-eks").inputs["deletionProtection"], true);
    for (const k of [`${T.cluster}::kuar-eks`, `${T.vpc}::kuar-vpc`, "aws:kms/key:Key::kuar-secrets"]) {
      assert.equal(seen.get(k)?.protect, true, k);
    }
    assert.equal(seen.get(`${T.subnet}::kuar-vpc-public-eu-west-1a`)?.protect, undefined);
  });

  test("ephemeral stacks leave everything deletable", () => {
    assert.equal(mocks.one(T.cluster, "eph-eks").inputs["deletionProtection"], false);
    assert.equal(seen.get(`${T.cluster}::eph-eks`)?.protect, false);
    assert.equal(seen.get(`${T.vpc}::eph-vpc`)?.protect, false);
  });

  test("the decision is on unless the setting or an ephemeral stack turns it off", () => {
    assert.deepEqual(plan.protection(true, false), { protect: true, deletionProtection: true });
    assert.deepEqual(plan.protection(true, true), { protect: false, deletionProtection: false });
    assert.deepEqual(plan.protection(false, false), { protect: false, deletionProtection: false });
  });
});

describe("IAM and identity", () => {
  const policiesOf = (prefix: string) =>
    of(T.attach, prefix)
      .map((r) => r.inputs["policyArn"] as string)
      .sort();

  test("the cluster role has only AmazonEKSClusterPolicy and trusts eks.amazonaws.com", () => {
    assert.deepEqual(policiesOf("kuar-cluster"), ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]);
    const trust = JSON.parse(mocks.one(T.role, "kuar-cluster").inputs["assumeRolePolicy"]);
    assert.equal(trust.Statement[0].Principal.Service, "eks.amazonaws.com");
  });

  test("the node role has exactly the least-privilege set", () => {
    assert.deepEqual(policiesOf("kuar-node"), [
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
      "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
      "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    ]);
    for (const r of of(T.attach, "kuar-node")) assert.equal(r.inputs["role"], "kuar-node-physical");
    const trust = JSON.parse(mocks.one(T.role, "kuar-node").inputs["assumeRolePolicy"]);
    assert.equal(trust.Statement[0].Principal.Service, "ec2.amazonaws.com");
  });

  test("with vpcCniIrsa the CNI policy moves from the node role to an IRSA role for aws-node", () => {
    assert.deepEqual(policiesOf("eph-node"), [
      "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
      "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    ]);
    assert.deepEqual(policiesOf("eph-vpc-cni"), ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]);
    assert.equal(
      mocks.one(T.addon, "eph-vpc-cni").inputs["serviceAccountRoleArn"],
      `arn:aws:test::${ACCOUNT}:${T.role}/eph-vpc-cni`,
    );
  });

  test("an OIDC provider for IRSA at the cluster's issuer with the STS audience and no pinned thumbprint", () => {
    const o = mocks.one(T.oidc, "kuar-oidc").inputs;
    assert.equal(o["url"], "https://oidc.eks.eu-west-1.amazonaws.com/id/KUAR-EKS");
    assert.deepEqual(o["clientIdLists"], ["sts.amazonaws.com"]);
    assert.equal(o["thumbprintLists"], undefined);
  });

  test("the EBS CSI driver add-on runs under an IRSA role scoped to its service account", () => {
    const addon = mocks.one(T.addon, "kuar-aws-ebs-csi-driver").inputs;
    assert.equal(addon["serviceAccountRoleArn"], `arn:aws:test::${ACCOUNT}:${T.role}/kuar-ebs-csi`);
    const trust = JSON.parse(mocks.one(T.role, "kuar-ebs-csi").inputs["assumeRolePolicy"]);
    const st = trust.Statement[0];
    assert.equal(st.Action, "sts:AssumeRoleWithWebIdentity");
    assert.equal(st.Principal.Federated, `arn:aws:test::${ACCOUNT}:${T.oidc}/kuar-oidc`);
    assert.deepEqual(st.Condition.StringEquals, {
      "oidc.eks.eu-west-1.amazonaws.com/id/KUAR-EKS:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
      "oidc.eks.eu-west-1.amazonaws.com/id/KUAR-EKS:aud": "sts.amazonaws.com",
    });
    assert.deepEqual(policiesOf("kuar-ebs-csi"), ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]);
  });

  test("managed add-ons: networking always, pod identity agent only when asked, EBS CSI by default", () => {
    const names = (p: string) =>
      of(T.addon, p)
        .map((r) => r.inputs["addonName"] as string)
        .sort();
    assert.deepEqual(names("kuar"), ["aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]);
    assert.deepEqual(names("eph"), ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
  });
});

describe("node groups", () => {
  test("system group: on-demand Graviton with a NoSchedule taint, sized as configured", () => {
    const g = mocks.one(T.nodeGroup, "kuar-system").inputs;
    assert.equal(g["clusterName"], "kuar-prod");
    assert.equal(g["amiType"], "AL2023_ARM_64_STANDARD");
    assert.equal(g["capacityType"], "ON_DEMAND");
    assert.deepEqual(g["scalingConfig"], { minSize: 2, maxSize: 3, desiredSize: 2 });
    assert.deepEqual(g["taints"], [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }]);
    assert.deepEqual(g["labels"], { "kuar.io/node-group": "system" });
    assert.equal(g["diskSize"], 50);
    assert.equal(g["nodeRoleArn"], `arn:aws:test::${ACCOUNT}:${T.role}/kuar-node`);
    assert.deepEqual(
      g["subnetIds"],
      ZONES.map((az) => `kuar-vpc-private-${az}-id`),
    );
  });

  test("workload group: spot x86 with labels, every taint effect mapped, desired size kept", () => {
    const g = mocks.one(T.nodeGroup, "kuar-workload").inputs;
    assert.equal(g["amiType"], "AL2023_x86_64_STANDARD");
    assert.equal(g["capacityType"], "SPOT");
    assert.deepEqual(g["instanceTypes"], ["m7i.large", "m6i.large"]);
    assert.deepEqual(g["scalingConfig"], { minSize: 1, maxSize: 6, desiredSize: 2 });
    assert.deepEqual(g["labels"], { tier: "apps", "kuar.io/node-group": "workload" });
    assert.deepEqual(g["taints"], [
      { key: "spot", value: "true", effect: "PREFER_NO_SCHEDULE" },
      { key: "drain", value: "", effect: "NO_EXECUTE" },
    ]);
  });

  test("updates replace one node at a time unless a percentage is given", () => {
    assert.deepEqual(mocks.one(T.nodeGroup, "kuar-system").inputs["updateConfig"], { maxUnavailable: 1 });
    assert.deepEqual(mocks.one(T.nodeGroup, "kuar-workload").inputs["updateConfig"], { maxUnavailablePercentage: 25 });
  });

  test("a node group is auto-named and replaced create-before-delete (no fixed name, no deleteBeforeReplace)", () => {
    for (const g of ["kuar-system", "kuar-workload"]) {
      assert.equal(mocks.one(T.nodeGroup, g).inputs["nodeGroupName"], undefined, g);
      assert.equal(seen.get(`${T.nodeGroup}::${g}`)?.deleteBeforeReplace, undefined, g);
      assert.deepEqual(seen.get(`${T.nodeGroup}::${g}`)?.ignoreChanges, ["scalingConfig.desiredSize"]);
    }
  });

  test("defaults: a system and a workload group on AL2023 x86", () => {
    const groups = of(T.nodeGroup, "eph").map((r) => [r.name, r.inputs["amiType"], r.inputs["capacityType"]]);
    assert.deepEqual(groups, [
      ["eph-system", "AL2023_x86_64_STANDARD", "ON_DEMAND"],
      ["eph-workload", "AL2023_x86_64_STANDARD", "ON_DEMAND"],
    ]);
  });

  test("architecture follows the instance family", () => {
    for (const t of [
      "m7g.large",
      "t4g.small",
      "c7gn.xlarge",
      "r8gd.2xlarge",
      "im4gn.large",
      "is4gen.large",
      "a1.medium",
      "g5g.xlarge",
    ]) {
      assert.equal(plan.archOfInstanceType(t), "arm64", t);
    }
    for (const t of [
      "m7i.large",
      "m7i-flex.large",
      "t3.medium",
      "c6a.large",
      "g5.xlarge",
      "p4d.24xlarge",
      "m5.large",
    ]) {
      assert.equal(plan.archOfInstanceType(t), "amd64", t);
    }
    assert.equal(
      plan.amiTypeFor({ instanceTypes: ["g5.xlarge"], amiType: "AL2023_x86_64_NVIDIA" }),
      "AL2023_x86_64_NVIDIA",
    );
  });
});

describe("add-ons", () => {
  const versionOf = (name: string) => mocks.one(T.addon, name).inputs["addonVersion"];

  test("every add-on is pinned to the newest build EKS offers for the cluster's version", () => {
    for (const a of ["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"]) {
      assert.equal(versionOf(`kuar-${a}`), `v1.2.0-${a}-eksbuild.1`, a);
    }
    assert.equal(versionOf("eph-eks-pod-identity-agent"), "v1.2.0-eks-pod-identity-agent-eksbuild.1");
    const lookups = mocks.invoked.filter((i) => i.token === "aws:eks/getAddonVersion:getAddonVersion");
    assert.equal(lookups.length, 12, "one lookup per add-on of each of the three clusters");
    for (const l of lookups) assert.equal(l.inputs["mostRecent"], true);
  });

  test("raising version moves every add-on with it", () => {
    for (const a of ["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"]) {
      assert.equal(mocks.one(T.cluster, "byo-eks").inputs["version"], "1.35");
      assert.equal(versionOf(`byo-${a}`), `v1.3.0-${a}-eksbuild.1`, a);
      assert.notEqual(versionOf(`byo-${a}`), versionOf(`kuar-${a}`));
    }
  });

  test("vpc-cni enforces NetworkPolicies (its network policy agent is off by default)", () => {
    for (const c of ["kuar", "eph", "byo"]) {
      const values = JSON.parse(mocks.one(T.addon, `${c}-vpc-cni`).inputs["configurationValues"]);
      assert.deepEqual(values, { enableNetworkPolicy: "true" });
    }
    assert.equal(mocks.one(T.addon, "kuar-coredns").inputs["configurationValues"], undefined);
  });
});

describe("dependency graph", () => {
  const node = (type: string, name: string) => graph.find(type, name);
  const provider = () => node("pulumi:providers:kubernetes", "kuar-k8s");
  const objects = () => [
    node("kubernetes:core/v1:Service", "app-lb"),
    node("kubernetes:core/v1:PersistentVolumeClaim", "app-data"),
    node("kubernetes:gateway.networking.k8s.io/v1:Gateway", "app-gateway"),
    node("kubernetes:storage.k8s.io/v1:StorageClass", "kuar-gp3"),
  ];
  const machinery = () => [
    ...["kuar-creator", "kuar-admin-0"].flatMap((n) => [
      node("aws:eks/accessEntry:AccessEntry", n),
      node("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", n),
    ]),
    node(T.nodeGroup, "kuar-system"),
    node(T.nodeGroup, "kuar-workload"),
    node(T.addon, "kuar-coredns"),
    node(T.addon, "kuar-aws-ebs-csi-driver"),
    node(T.addon, "kuar-vpc-cni"),
    node(T.cluster, "kuar-eks"),
  ];

  test("the Kubernetes provider waits for access entries, node groups, CoreDNS and the CSI driver", () => {
    for (const m of machinery()) assert.ok(graph.needs(provider(), m), `provider needs ${m.name}`);
  });

  test("up: every Kubernetes object comes after all of that; nothing of it waits for an object", () => {
    for (const o of objects()) {
      for (const m of machinery()) {
        assert.ok(graph.needs(o, m), `${o.name} is created after (deleted before) ${m.name}`);
        assert.ok(!graph.needs(m, o), `${m.name} must not wait for ${o.name}`);
      }
      assert.ok(!graph.needs(provider(), o));
    }
  });

  test("destroy: objects, then the add-ons that run on nodes, then node groups, then networking add-ons, then the cluster", () => {
    const order = graph.destroyOrder().map((n) => n.name);
    const at = (name: string) => {
      const i = order.indexOf(name);
      assert.ok(i >= 0, `${name} is in the graph`);
      return i;
    };
    const stages = [
      ["app-lb", "app-data", "app-gateway", "kuar-gp3"],
      ["kuar-k8s"],
      ["kuar-coredns", "kuar-aws-ebs-csi-driver"],
      ["kuar-system", "kuar-workload"],
      ["kuar-vpc-cni", "kuar-kube-proxy"],
      ["kuar-eks"],
    ];
    for (let i = 1; i < stages.length; i++) {
      for (const before of stages[i - 1]!) {
        for (const after of stages[i]!) assert.ok(at(before) < at(after), `${before} is deleted before ${after}`);
      }
    }
    // kuar's bootstrap: every object it creates goes before the node groups; Gateways before their controller.
    const k8sObjects = [...graph.nodes.values()].filter(
      (n) => n.type.startsWith("kubernetes:") && !/^(byo|eph)-/.test(n.name),
    );
    assert.ok(k8sObjects.length > 20, "bootstrap's objects are in the graph");
    for (const o of k8sObjects) {
      for (const m of machinery()) assert.ok(graph.needs(o, m), `${o.type} ${o.name} goes before ${m.name}`);
    }
    const controller = [...graph.nodes.values()].filter(
      (n) => n.type === "kubernetes:helm.sh/v4:Chart" && /gateway/.test(n.name),
    );
    assert.equal(controller.length, 1, "one gateway controller chart");
    for (const g of k8sObjects.filter((n) => /gateway\.networking\.k8s\.io\/v1:Gateway(Class)?$/.test(n.type))) {
      if (g.name === "app-gateway") continue; // the test's own Gateway stands for a workload's
      assert.ok(graph.needs(g, controller[0]!), `${g.type} ${g.name} is deleted while its controller runs`);
    }
    // The cluster outlives its access entries; the VPC outlives the cluster.
    assert.ok(at("kuar-admin-0") < at("kuar-eks"));
    assert.ok(at("kuar-eks") < at("kuar-vpc"));
  });
});

describe("kubeconfig and provider", () => {
  test("the kubeconfig is a secret that runs aws eks get-token, with no credentials in it", async () => {
    const { value, secret } = await secretOf(prod.kubeconfig);
    assert.equal(secret, true);
    const k = parse(value);
    assert.equal(k.clusters[0].cluster.server, "https://kuar-eks.gr7.eks.amazonaws.com");
    assert.equal(k.clusters[0].cluster["certificate-authority-data"], "Q0EtREFUQQ==");
    const exec = k.users[0].user.exec;
    assert.equal(exec.apiVersion, "client.authentication.k8s.io/v1beta1");
    assert.equal(exec.command, "aws");
    assert.deepEqual(exec.args, [
      "eks",
      "get-token",
      "--cluster-name",
      "kuar-prod",
      "--region",
      "eu-west-1",
      "--output",
      "json",
      "--role-arn",
      `arn:aws:iam::${ACCOUNT}:role/platform-admin`,
    ]);
    assert.deepEqual(Object.keys(k.users[0].user), ["exec"]);
    assert.doesNotMatch(value, /token:|password|client-key|client-certificate|aws_secret|AKIA/i);
  });

  test("a profile travels as AWS_PROFILE; no role means no --role-arn", () => {
    const k = parse(
      renderKubeconfig({
        clusterName: "c",
        region: "us-east-1",
        endpoint: "https://x",
        certificateAuthorityData: "Q0E=",
        profile: "ops",
      }),
    );
    assert.deepEqual(k.users[0].user.exec.env, [{ name: "AWS_PROFILE", value: "ops" }]);
    assert.ok(!k.users[0].user.exec.args.includes("--role-arn"));
    assert.equal(k["current-context"], "c");
  });

  test("the Kubernetes provider is keyed by the cluster ARN and is a child of the component", async () => {
    const p = mocks.one("pulumi:providers:kubernetes", "kuar-k8s").inputs;
    assert.equal(p["clusterIdentifier"], `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/kuar-prod`);
    assert.equal(seen.get("pulumi:providers:kubernetes::kuar-k8s")?.parent, prod);
    assert.equal(await valueOf(prod.name), "kuar-prod");
  });

  test("with the EBS CSI driver a default encrypted gp3 StorageClass is created through that provider", () => {
    const sc = mocks.one("kubernetes:storage.k8s.io/v1:StorageClass", "kuar-gp3");
    assert.equal(sc.inputs["provisioner"], "ebs.csi.aws.com");
    assert.equal(sc.inputs["parameters"]["encrypted"], "true");
    assert.equal(sc.inputs["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"], "true");
    assert.match(sc.provider ?? "", /pulumi:providers:kubernetes::kuar-k8s::/);
    assert.equal(mocks.named("eph-gp3").length, 0);
  });
});

describe("capabilities", () => {
  test("cloud load balancers, gp3, mixed arch, DNS, no metrics server, nodes = sum of minSize", () => {
    assert.deepEqual(prod.capabilities, {
      loadBalancer: "cloud",
      defaultStorageClass: "gp3",
      arch: "mixed",
      dns: true,
      metricsServer: false,
      online: true,
      runsContainers: true,
      nodes: 3,
    });
  });

  test("without the EBS CSI driver there is no default StorageClass; one arch is reported as such", () => {
    assert.equal(eph.capabilities.defaultStorageClass, undefined);
    assert.equal(eph.capabilities.arch, "amd64");
    assert.equal(eph.capabilities.nodes, 3);
  });
});

describe("subnet plan", () => {
  test("derived subnets lie inside the VPC and do not overlap", () => {
    const p = plan.deriveSubnets("10.8.0.0/20", 3);
    assert.deepEqual(p.private, ["10.8.0.0/22", "10.8.4.0/22", "10.8.8.0/22"]);
    assert.deepEqual(p.public, ["10.8.12.0/26", "10.8.12.64/26", "10.8.12.128/26"]);
    for (const c of [...p.private, ...p.public]) assert.ok(cidrContains("10.8.0.0/20", c), c);
  });
});

/** Parses `kuar:eks` and returns the ConfigError message, failing if it was accepted. */
function problem(eks: Record<string, unknown>): string {
  try {
    parseObject({ target: "eks", eks: { ...base, ...eks } });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`config was accepted: ${JSON.stringify(eks)}`);
}
const base = { region: "eu-west-1", availabilityZones: ZONES, publicAccessCidrs: ["203.0.113.0/24"] };

describe("example stack", () => {
  test("stacks/Pulumi.eks-prod.yaml validates and is production-shaped", () => {
    const { raw } = stackFileConfig(new URL("../../../stacks/Pulumi.eks-prod.yaml", import.meta.url).pathname);
    const c = parseConfig(raw);
    assert.equal(c.target, "eks");
    const s = c.settings as Parameters<typeof target.create>[1];
    assert.equal(s.availabilityZones.length, 3);
    assert.equal(s.endpointPrivateAccess, true);
    assert.ok(s.restrictPublicEndpoint && (s.publicAccessCidrs ?? []).length > 0);
    assert.deepEqual(
      s.nodeGroups.map((g) => [g.name, g.capacityType]),
      [
        ["system", "ON_DEMAND"],
        ["workload", "SPOT"],
      ],
    );
  });
});

describe("CI example stack", () => {
  test("stacks/Pulumi.eks-ci.yaml validates, is reachable from a runner without a fixed egress, and names no cluster", () => {
    const { raw } = stackFileConfig(new URL("../../../stacks/Pulumi.eks-ci.yaml", import.meta.url).pathname);
    const c = parseConfig(raw);
    assert.equal(c.target, "eks");
    const s = c.settings as Parameters<typeof target.create>[1];
    // A documentation range (RFC 5737) in publicAccessCidrs would admit no runner at all.
    assert.equal(s.restrictPublicEndpoint, false);
    assert.equal(s.publicAccessCidrs, undefined);
    assert.equal(s.endpointPrivateAccess, true, "nodes still reach the API privately");
    assert.equal(s.clusterName, undefined, "each ephemeral stack names its own cluster");
    assert.deepEqual([s.availabilityZones.length, s.network.natGateways], [2, "single"]);
    assert.ok(s.nodeGroups.every((g) => g.capacityType === "ON_DEMAND" && g.minSize >= 2));
  });
});

describe("bad config", () => {
  test("accepts the minimal production config", () => {
    assert.doesNotThrow(() => parseObject({ target: "eks", eks: base }));
  });

  test("fails when the region is missing", () => {
    assert.match(problem({ region: undefined }), /kuar:eks\.region: is required \(a string\)/);
  });

  test("fails when the region is malformed", () => {
    assert.match(
      problem({ region: "Ireland" }),
      /kuar:eks\.region: expected an AWS region such as "eu-west-1", got "Ireland"\. Use the region code/,
    );
  });

  test("fails when a zone name is malformed", () => {
    assert.match(
      problem({ availabilityZones: ["eu-west-1a", "west"] }),
      /kuar:eks\.availabilityZones\[1\]: expected an availability zone name .*got "west"/,
    );
  });

  test("fails when a zone is not in the region", () => {
    assert.match(
      problem({ availabilityZones: ["eu-west-1a", "us-east-1b"] }),
      /kuar:eks\.availabilityZones\[1\]: is not a zone of region eu-west-1, got "us-east-1b"\. Use eu-west-1a, eu-west-1b/,
    );
  });

  test("fails when fewer than 2 zones are listed", () => {
    assert.match(
      problem({ availabilityZones: ["eu-west-1a"] }),
      /kuar:eks\.availabilityZones: must list at least 2 zones .*got \["eu-west-1a"\]\. Add a second zone/,
    );
  });

  test("fails when a zone is listed twice", () => {
    assert.match(
      problem({ availabilityZones: ["eu-west-1a", "eu-west-1a"] }),
      /availabilityZones\[1\]: is listed twice/,
    );
  });

  test("fails when minSize exceeds maxSize", () => {
    assert.match(
      problem({ nodeGroups: [{ name: "a", minSize: 5, maxSize: 2 }] }),
      /kuar:eks\.nodeGroups\[0\]\.minSize: must not exceed maxSize \(2\), got 5\. Lower minSize or raise maxSize\./,
    );
  });

  test("fails when desiredSize is outside minSize..maxSize", () => {
    assert.match(
      problem({ nodeGroups: [{ name: "a", minSize: 1, maxSize: 3, desiredSize: 4 }] }),
      /kuar:eks\.nodeGroups\[0\]\.desiredSize: must lie within minSize\.\.maxSize \(1\.\.3\), got 4/,
    );
  });

  test("fails when two node groups share a name", () => {
    assert.match(
      problem({ nodeGroups: [{ name: "apps" }, { name: "apps" }] }),
      /kuar:eks\.nodeGroups\[1\]\.name: is used by an earlier node group, got "apps"\. Give every node group its own name\./,
    );
  });

  test("fails when a node group mixes Graviton and x86 instance types", () => {
    assert.match(
      problem({ nodeGroups: [{ name: "a", instanceTypes: ["m7g.large", "m7i.large"] }] }),
      /nodeGroups\[0\]\.instanceTypes: mixes arm64/,
    );
  });

  test("fails when a taint effect is not a Kubernetes one", () => {
    assert.match(
      problem({ nodeGroups: [{ name: "a", taints: [{ key: "k", effect: "NO_SCHEDULE" }] }] }),
      /nodeGroups\[0\]\.taints\[0\]\.effect: expected one of "NoSchedule", "PreferNoSchedule", "NoExecute", got "NO_SCHEDULE"/,
    );
  });

  test("fails when the endpoint is private-only but publicAccessCidrs is set", () => {
    assert.match(
      problem({ endpointPublicAccess: false }),
      /kuar:eks\.publicAccessCidrs: is set but the public endpoint is off \(endpointPublicAccess: false\), got \["203\.0\.113\.0\/24"\]\. Remove publicAccessCidrs/,
    );
  });

  test("fails when the public endpoint is restricted but no CIDRs are listed", () => {
    assert.match(
      problem({ publicAccessCidrs: undefined }),
      /kuar:eks\.publicAccessCidrs: must list who may reach the public endpoint.*got nothing\. List your/,
    );
  });

  test("fails when a restricted public endpoint is opened to 0.0.0.0/0", () => {
    assert.match(
      problem({ publicAccessCidrs: ["0.0.0.0/0"] }),
      /kuar:eks\.publicAccessCidrs\[0\]: opens the public endpoint to the whole internet .*got "0\.0\.0\.0\/0"\. List narrower ranges/,
    );
  });

  test("fails when both endpoints are off", () => {
    assert.match(
      problem({ endpointPublicAccess: false, endpointPrivateAccess: false, publicAccessCidrs: undefined }),
      /endpointPublicAccess: and endpointPrivateAccess are both false/,
    );
  });

  test("fails when the private endpoint is off while the public one is restricted", () => {
    assert.match(
      problem({ endpointPrivateAccess: false }),
      /kuar:eks\.endpointPrivateAccess: is off while the public endpoint is restricted/,
    );
  });

  test("fails when a CIDR is malformed", () => {
    assert.match(
      problem({ network: { vpcCidr: "10.0.0.0/33" } }),
      /kuar:eks\.network\.vpcCidr: expected an IPv4 CIDR such as "10\.0\.0\.0\/16", got "10\.0\.0\.0\/33"/,
    );
  });

  test("fails when the VPC CIDR is too small for EKS", () => {
    assert.match(
      problem({ network: { vpcCidr: "10.0.0.0/24" } }),
      /network\.vpcCidr: must have a prefix from \/16 to \/20/,
    );
  });

  test("fails when a subnet lies outside the VPC CIDR", () => {
    assert.match(
      problem({
        network: { vpcCidr: "10.0.0.0/16", privateSubnetCidrs: ["10.0.0.0/18", "10.0.64.0/18", "10.1.0.0/18"] },
      }),
      /kuar:eks\.network\.privateSubnetCidrs\[2\]: lies outside the VPC CIDR 10\.0\.0\.0\/16, got "10\.1\.0\.0\/18"\. Pick a subnet inside/,
    );
  });

  test("fails when subnet CIDRs overlap", () => {
    assert.match(
      problem({ network: { publicSubnetCidrs: ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"] } }),
      /kuar:eks\.network\.privateSubnetCidrs\[0\]: overlaps network\.publicSubnetCidrs\.0 \(10\.0\.0\.0\/24\).*Pick ranges that do not share addresses\./,
    );
  });

  test("fails when the subnet list does not match the zones", () => {
    assert.match(
      problem({ network: { publicSubnetCidrs: ["10.0.192.0/22"] } }),
      /network\.publicSubnetCidrs: must list one CIDR per availability zone \(3\)/,
    );
  });

  test("fails when an existing VPC is combined with subnet CIDRs", () => {
    assert.match(
      problem({
        network: {
          existingVpc: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] },
          vpcCidr: "10.0.0.0/16",
        },
      }),
      /kuar:eks\.network\.vpcCidr: cannot be combined with network\.existingVpc/,
    );
  });

  // CreateAccessEntry (EKS API reference): "You can't use the STS session principal type".
  test("fails when an admin is an STS assumed-role session ARN, naming the role ARN to use", () => {
    assert.match(
      problem({ admins: [`arn:aws:sts::${ACCOUNT}:assumed-role/Admin/jane`] }),
      /kuar:eks\.admins\[0\]: is an STS session ARN; EKS access entries and --role-arn need the IAM role itself, got "arn:aws:sts::123456789012:assumed-role\/Admin\/jane"\. Use the role: pulumi config set --path 'kuar:eks\.admins\[0\]' arn:aws:iam::123456789012:role\/Admin \(add the role's path if it has one: aws iam get-role --role-name Admin --query Role\.Arn\)\./,
    );
  });

  test("fails when kubeconfigRoleArn is an STS session or an IAM user", () => {
    assert.match(
      problem({ kubeconfigRoleArn: `arn:aws-cn:sts::${ACCOUNT}:assumed-role/ops/x` }),
      /kuar:eks\.kubeconfigRoleArn: is an STS session ARN.*pulumi config set --path 'kuar:eks\.kubeconfigRoleArn' arn:aws-cn:iam::123456789012:role\/ops /,
    );
    assert.match(
      problem({ kubeconfigRoleArn: `arn:aws:iam::${ACCOUNT}:user/jane` }),
      /kuar:eks\.kubeconfigRoleArn: is an IAM user; --role-arn assumes a role/,
    );
    assert.match(
      problem({ admins: [`arn:aws:sts::${ACCOUNT}:federated-user/bob`] }),
      /kuar:eks\.admins\[0\]: is not an IAM role or user ARN \(STS session and federated-user ARNs cannot be given access\)/,
    );
  });

  test("accepts IAM roles with a path and IAM users as admins", () => {
    assert.doesNotThrow(() =>
      parseObject({
        target: "eks",
        eks: {
          ...base,
          admins: [CREATOR, `arn:aws:iam::${ACCOUNT}:user/jane`, `arn:aws-us-gov:iam::${ACCOUNT}:role/x`],
        },
      }),
    );
  });

  // "An IAM principal can't be included in more than one access entry" (EKS user guide, creating access entries).
  test("fails when an admin is listed twice", () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/platform-admin`;
    assert.match(
      problem({ admins: [arn, arn] }),
      /kuar:eks\.admins\[1\]: repeats admins\[0\]; EKS allows one access entry per principal/,
    );
  });

  test("fails when an explicit amiType cannot boot the instance types", () => {
    assert.match(
      problem({
        nodeGroups: [{ name: "a", instanceTypes: ["m7i.large", "m7g.large"], amiType: "AL2023_ARM_64_STANDARD" }],
      }),
      /kuar:eks\.nodeGroups\[0\]\.instanceTypes: includes m7i\.large, which cannot boot the arm64 AMI type AL2023_ARM_64_STANDARD/,
    );
    assert.doesNotThrow(() =>
      parseObject({
        target: "eks",
        eks: { ...base, nodeGroups: [{ name: "gpu", instanceTypes: ["g5.xlarge"], amiType: "AL2023_x86_64_NVIDIA" }] },
      }),
    );
  });

  // NodegroupUpdateConfig (EKS API): maxUnavailable 1-100 or maxUnavailablePercentage 1-100, one of them.
  test("fails when maxUnavailable and maxUnavailablePercentage are both set, or out of range", () => {
    assert.match(
      problem({ nodeGroups: [{ name: "a", maxUnavailable: 2, maxUnavailablePercentage: 50 }] }),
      /kuar:eks\.nodeGroups\[0\]\.maxUnavailablePercentage: is set together with maxUnavailable \(2\); EKS takes one of the two/,
    );
    assert.match(problem({ nodeGroups: [{ name: "a", maxUnavailable: 0 }] }), /nodeGroups\[0\]\.maxUnavailable: /);
    assert.match(
      problem({ nodeGroups: [{ name: "a", maxUnavailablePercentage: 101 }] }),
      /nodeGroups\[0\]\.maxUnavailablePercentage: /,
    );
  });

  // NodeGroup taints (EKS API, @pulumi/aws NodeGroupTaint): at most 50, key and value at most 63 characters.
  test("fails when a node group has too many taints or a taint key is too long", () => {
    const taints = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, effect: "NoSchedule" }));
    assert.match(
      problem({ nodeGroups: [{ name: "a", taints }] }),
      /nodeGroups\[0\]\.taints: lists more than 50 taints/,
    );
    assert.match(
      problem({ nodeGroups: [{ name: "a", taints: [{ key: "k".repeat(64), effect: "NoSchedule" }] }] }),
      /nodeGroups\[0\]\.taints\[0\]\.key: is longer than 63 characters/,
    );
  });

  test("fails when a setting is misspelt, suggesting the right key", () => {
    assert.match(
      problem({ podIdentiy: true }),
      /kuar:eks\.podIdentiy: is not a setting kuar knows, got true\. Did you mean "podIdentity"\?/,
    );
  });

  test("fails with every problem listed at once", () => {
    const msg = problem({
      region: "eu-west-1",
      availabilityZones: ["eu-west-1a"],
      nodeGroups: [{ name: "a", minSize: 4, maxSize: 1 }],
    });
    assert.match(msg, /kuar found 2 problems/);
  });
});
