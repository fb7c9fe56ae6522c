/**
 * The EKS checks that need AWS: each rule on its own (pure, from looked-up facts), and the whole
 * gate under mocks in a child process: a failed check registers no AWS resource at all.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseObject } from "../../../config/load.js";
import { factProblems, type Facts } from "../../../providers/eks/preflight.js";
import type { EksSettings } from "../../../providers/eks/schema.js";
import { ACCOUNT, CREATOR } from "./eks-aws.js";

const ADMIN = `arn:aws:iam::${ACCOUNT}:role/platform-admin`;
const settings = (eks: Record<string, unknown> = {}) =>
  parseObject({
    target: "eks",
    eks: {
      region: "eu-west-1",
      availabilityZones: ["eu-west-1a", "eu-west-1b"],
      publicAccessCidrs: ["203.0.113.0/24"],
      ...eks,
    },
  }).settings as EksSettings;
const facts = (f: Partial<Facts> = {}): Facts => ({
  creatorArn: CREATOR,
  regions: ["eu-west-1", "us-east-1"],
  zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  versions: ["1.33", "1.34", "1.35"],
  addonVersions: { "vpc-cni": "v1.20.0-eksbuild.1", coredns: "v1.12.0-eksbuild.1" },
  runningVersion: undefined,
  ...f,
});
const problems = (eks: Record<string, unknown>, f: Partial<Facts> = {}) =>
  factProblems(settings(eks), "kuar-prod", facts(f)).map((p) => `${p.path}: ${p.message}. ${p.fix}`);

describe("checks against AWS", () => {
  test("accepts a config every lookup agrees with", () => {
    assert.deepEqual(problems({}), []);
    assert.deepEqual(problems({ version: "1.35" }, { runningVersion: "1.34" }), [], "one minor up is an upgrade");
  });

  test("fails when the lookups themselves are refused, with one problem naming the credentials", () => {
    const p = problems({ profile: "ops" }, { creatorArn: new Error("ExpiredToken: the security token expired") });
    assert.equal(p.length, 1);
    assert.match(
      p[0]!,
      /kuar:eks\.region: could not be checked: AWS refused the lookups \(ExpiredToken.*aws sts get-caller-identity --region eu-west-1 --profile ops/,
    );
  });

  // DescribeInstanceTypeOfferings: a managed node group launches only types offered in its subnets' zones.
  test("fails when a node group instance type is offered in none of the zones", () => {
    const p = problems(
      { nodeGroups: [{ name: "gpu", instanceTypes: ["m7i.large", "p5.48xlarge"], minSize: 1, maxSize: 2 }] },
      { instanceTypeZones: { "m7i.large": ["eu-west-1a", "eu-west-1b"], "p5.48xlarge": ["eu-west-1c"] } },
    );
    assert.equal(p.length, 1);
    assert.match(
      p[0]!,
      /^kuar:eks\.nodeGroups\[0\]\.instanceTypes\[1\]: is not offered in any of eu-west-1a, eu-west-1b \(only in eu-west-1c\).*describe-instance-type-offerings .*Values=p5\.48xlarge/,
    );
    assert.match(
      problems({}, { instanceTypeZones: new Error("UnauthorizedOperation") })[0]!,
      /kuar:eks\.nodeGroups: could not be checked .*ec2:DescribeInstanceTypeOfferings/,
    );
  });

  // DescribeRegions: a region the account has not opted in to is not enabled.
  test("fails when the region is not enabled for the account", () => {
    assert.match(
      problems(
        { region: "ap-east-1", availabilityZones: ["ap-east-1a", "ap-east-1b"] },
        { zones: ["ap-east-1a", "ap-east-1b"] },
      )[0]!,
      /kuar:eks\.region: is not a region enabled for this account \(enabled: eu-west-1, us-east-1\)/,
    );
  });

  // DescribeAvailabilityZones (state available): zone names are per account.
  test("fails when a zone is not available in the region", () => {
    assert.deepEqual(problems({ availabilityZones: ["eu-west-1a", "eu-west-1d"] }), [
      "kuar:eks.availabilityZones[1]: is not an available zone of eu-west-1 for this account (available: eu-west-1a, eu-west-1b, eu-west-1c). Use zones from `aws ec2 describe-availability-zones`.",
    ]);
  });

  // DescribeClusterVersions lists what CreateCluster accepts; DescribeAddonVersions finds no build otherwise.
  test("fails when EKS does not offer the Kubernetes version, suggesting the newest one", () => {
    const p = problems({ version: "1.99" }, { addonVersions: { "vpc-cni": new Error("empty result") } });
    assert.deepEqual(p, [
      `kuar:eks.version: is not a Kubernetes version EKS offers in eu-west-1 (offered: 1.33, 1.34, 1.35). Pick one, e.g. pulumi config set --path 'kuar:eks.version' 1.35.`,
    ]);
  });

  test("fails when an add-on has no build for the version, naming the setting that adds it", () => {
    const p = problems({}, { addonVersions: { "aws-ebs-csi-driver": new Error("no version found") } });
    assert.match(
      p[0]!,
      /^kuar:eks\.ebsCsiDriver: needs the aws-ebs-csi-driver add-on, which EKS has no build of for Kubernetes 1\.34 \(no version found\)\. Turn it off \(pulumi config set --path 'kuar:eks\.ebsCsiDriver' false\)/,
    );
  });

  // UpdateClusterVersion: one minor at a time, never down.
  test("fails when version jumps more than one minor above the running cluster, or goes down", () => {
    assert.match(
      problems({ version: "1.35" }, { runningVersion: "1.33" })[0]!,
      /kuar:eks\.version: is more than one minor above the running cluster kuar-prod's 1\.33; EKS upgrades one minor at a time\. Upgrade in steps: pulumi config set --path 'kuar:eks\.version' 1\.34, pulumi up/,
    );
    assert.match(
      problems({ version: "1.33" }, { runningVersion: "1.34" })[0]!,
      /is below the running cluster kuar-prod's 1\.34; EKS never downgrades/,
    );
  });

  // CreateAccessEntry: one entry per principal, a second is 409 ResourceInUseException.
  test("fails when admins include the identity running Pulumi while clusterCreatorAdmin is on", () => {
    assert.deepEqual(problems({ admins: [ADMIN, CREATOR] }), [
      `kuar:eks.admins[1]: is the identity running Pulumi, which clusterCreatorAdmin already gives an access entry (EKS allows one per principal: a second fails with 409 ResourceInUseException). Remove it from admins, or pulumi config set --path 'kuar:eks.clusterCreatorAdmin' false to manage it here.`,
    ]);
    assert.deepEqual(problems({ admins: [ADMIN, CREATOR], clusterCreatorAdmin: false }), []);
  });

  test("fails when kubeconfigRoleArn has no access entry", () => {
    assert.deepEqual(problems({ kubeconfigRoleArn: ADMIN }), [
      `kuar:eks.kubeconfigRoleArn: has no access entry (it is not in admins), so the Kubernetes provider would be refused (Unauthorized). Add it: pulumi config set --path 'kuar:eks.admins[0]' ${ADMIN}.`,
    ]);
    assert.deepEqual(problems({ kubeconfigRoleArn: ADMIN, admins: [ADMIN] }), []);
  });

  test("fails when the identity running Pulumi gets no access entry at all", () => {
    assert.match(
      problems({ clusterCreatorAdmin: false })[0]!,
      /^kuar:eks\.clusterCreatorAdmin: leaves the identity running Pulumi \(arn:aws:iam::123456789012:role\/aws-reserved\/sso\.amazonaws\.com\/AWSReservedSSO_Admin_0123\) without an access entry/,
    );
  });

  // CreateCluster (EKS user guide, network requirements): subnets of the cluster's VPC, in two zones or more.
  test("fails when existing-VPC subnets are in another VPC or all in one zone", () => {
    const existingVpc = {
      vpcId: "vpc-0123456789abcdef0",
      privateSubnetIds: ["subnet-0aaa1111", "subnet-0bbb2222", "subnet-0ccc3333"],
    };
    const p = problems(
      { network: { existingVpc } },
      {
        subnets: [
          { az: "eu-west-1a", vpcId: "vpc-0123456789abcdef0" },
          { az: "eu-west-1a", vpcId: "vpc-0123456789abcdef0" },
          { az: "eu-west-1b", vpcId: "vpc-0fffffffffffffff0" },
        ],
      },
    );
    assert.deepEqual(p, [
      "kuar:eks.network.existingVpc.privateSubnetIds[2]: is in vpc-0fffffffffffffff0, not in network.existingVpc.vpcId vpc-0123456789abcdef0. List subnets of that VPC only.",
      "kuar:eks.network.existingVpc.privateSubnetIds: are all in eu-west-1a; EKS needs subnets in at least two Availability Zones. Add a subnet of the VPC in another zone.",
    ]);
    assert.match(
      problems(
        { network: { existingVpc } },
        {
          subnets: [
            new Error("no matching EC2 Subnet found"),
            { az: "eu-west-1a", vpcId: existingVpc.vpcId },
            { az: "eu-west-1b", vpcId: existingVpc.vpcId },
          ],
        },
      )[0]!,
      /privateSubnetIds\[0\]: could not be read \(no matching EC2 Subnet found\)/,
    );
  });

  test("fails when the running cluster's version cannot be read for another reason than not found", () => {
    assert.match(
      problems({}, { runningVersion: new Error("AccessDenied") })[0]!,
      /kuar:eks\.version: could not be compared.*eks:DescribeCluster/,
    );
  });
});

describe("the gate", () => {
  test("a failed check registers no AWS resource and reports every problem in one ConfigError", () => {
    const fixture = fileURLToPath(new URL("./eks-preflight.fixture.ts", import.meta.url));
    // Pulumi's runtime warns on exit about the registrations the gate held back; only stdout matters.
    const run = spawnSync(process.execPath, ["--import", "tsx", fixture], { encoding: "utf8", timeout: 120_000 });
    const out = run.stdout;
    const { errors, registered } = JSON.parse(out.trim().split("\n").at(-1)!) as {
      errors: string[];
      registered: string[];
    };
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0]!, /^ConfigError: kuar found 4 problems in the stack config; nothing was changed:/);
    for (const p of ["availabilityZones[1]", "version", "admins[0]", "kubeconfigRoleArn"]) {
      assert.ok(errors[0]!.includes(`kuar:eks.${p}: `), p);
    }
    const aws = registered.filter((r) => r.startsWith("aws:") || r.startsWith("pulumi:providers:"));
    assert.deepEqual(aws, ["pulumi:providers:aws::kuar-lookup"], "only the lookup provider registers");
  });
});
