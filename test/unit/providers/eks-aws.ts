/**
 * AWS as the EKS target's preflight sees it under mocks: the invokes it makes, answered in the
 * shapes @pulumi/aws 7.48.0 returns (types/output.d.ts), failing the way the provider fails.
 */
export const ACCOUNT = "123456789012";
/** The identity running Pulumi: an SSO role with a path, seen through an assumed-role session. */
export const CREATOR = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123`;
export const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123/jane`;
/** Kubernetes minors the mock EKS offers (DescribeClusterVersions). */
export const OFFERED = ["1.32", "1.33", "1.34", "1.35"];
/** A failed invoke as the engine reports it: the SDK takes the message from the gRPC `details`. */
const awsError = (message: string) => Object.assign(new Error(message), { details: message });
export const invokes = {
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: ACCOUNT, arn: SESSION, userId: "AROA:jane" }),
  "aws:iam/getSessionContext:getSessionContext": (i: Record<string, string>) => ({
    arn: i["arn"],
    issuerArn: i["arn"] === SESSION ? CREATOR : i["arn"],
  }),
  "aws:index/getRegions:getRegions": () => ({ names: ["eu-west-1", "us-east-1", "ap-southeast-2"] }),
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    names: ["eu-west-1a", "eu-west-1b", "eu-west-1c", "us-east-1a", "us-east-1b"],
  }),
  "aws:eks/getClusterVersions:getClusterVersions": () => ({
    clusterVersions: OFFERED.map((clusterVersion) => ({ clusterVersion })),
  }),
  // DescribeAddonVersions finds nothing for a version EKS does not offer; the provider then fails.
  "aws:eks/getAddonVersion:getAddonVersion": (i: Record<string, string>) => {
    if (!OFFERED.includes(i["kubernetesVersion"]!)) throw awsError(`no ${i["addonName"]} version found`);
    return { version: `v1.${OFFERED.indexOf(i["kubernetesVersion"]!)}.0-${i["addonName"]}-eksbuild.1` };
  },
  "aws:eks/getCluster:getCluster": (i: Record<string, string>) => {
    throw awsError(`reading EKS Cluster (${i["name"]}): couldn't find resource`);
  },
  // DescribeInstanceTypeOfferings: every requested type in every zone, except p5.48xlarge (one zone only).
  "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": (i: Record<string, unknown>) => {
    const filters = i["filters"] as { name: string; values: string[] }[];
    const types = filters.find((f) => f.name === "instance-type")?.values ?? [];
    const zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "us-east-1a", "us-east-1b"];
    const pairs = types.flatMap((t) => (t === "p5.48xlarge" ? [["eu-west-1c", t]] : zones.map((z) => [z, t])));
    return {
      id: "eu-west-1",
      instanceTypes: pairs.map((p) => p[1]),
      locations: pairs.map((p) => p[0]),
      locationTypes: pairs.map(() => "availability-zone"),
      region: "eu-west-1",
    };
  },
  "aws:ec2/getSubnet:getSubnet": (i: Record<string, string>) => {
    const subnets: Record<string, { availabilityZone: string; vpcId: string }> = {
      "subnet-0aaa1111": { availabilityZone: "us-east-1a", vpcId: "vpc-0123456789abcdef0" },
      "subnet-0bbb2222": { availabilityZone: "us-east-1b", vpcId: "vpc-0123456789abcdef0" },
    };
    const found = subnets[i["id"]!];
    if (!found) throw awsError(`no matching EC2 Subnet found`);
    return { id: i["id"], ...found };
  },
};
