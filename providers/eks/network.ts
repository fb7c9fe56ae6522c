/**
 * The VPC an EKS cluster runs in: a public and a private subnet per zone, an internet gateway,
 * NAT gateways (one per zone or a single one) and route tables. Nodes and the control plane's
 * network interfaces live in the private subnets; the public ones hold load balancers and NAT.
 */
import * as ec2 from "@pulumi/aws/ec2";
import * as pulumi from "@pulumi/pulumi";

export interface EksNetworkArgs {
  /** EKS cluster name, for the `kubernetes.io/cluster/<name>` subnet tag. */
  clusterName: string;
  /** Zones, in order; subnet lists follow this order. */
  availabilityZones: string[];
  /** VPC CIDR. */
  vpcCidr: string;
  /** One public subnet CIDR per zone. */
  publicSubnetCidrs: string[];
  /** One private subnet CIDR per zone. */
  privateSubnetCidrs: string[];
  /** NAT gateway per zone, or one shared by all zones. @default "one-per-az" */
  natGateways?: "one-per-az" | "single";
  /** Pulumi `protect` on the VPC. @default false */
  protect?: boolean;
  /** Tags on every resource. @default {} */
  tags?: Record<string, string>;
}

export class EksNetwork extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: EksNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:providers:EksNetwork", name, {}, opts);
    const natMode = args.natGateways ?? "one-per-az";
    const tags = (extra: Record<string, string>) => ({ ...args.tags, ...extra });
    const clusterTag = { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" };
    const parent = { parent: this };

    const vpc = new ec2.Vpc(
      name,
      {
        cidrBlock: args.vpcCidr,
        enableDnsHostnames: true, // required for the private API endpoint to resolve
        enableDnsSupport: true,
        tags: tags({ Name: name }),
      },
      { parent: this, protect: args.protect ?? false },
    );
    const igw = new ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags({ Name: `${name}-igw` }) }, parent);

    const publicTable = new ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpc.id, tags: tags({ Name: `${name}-public` }) },
      parent,
    );
    new ec2.Route(
      `${name}-public-default`,
      { routeTableId: publicTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id },
      parent,
    );

    const publicSubnets = args.availabilityZones.map((az, i) => {
      const subnet = new ec2.Subnet(
        `${name}-public-${az}`,
        {
          vpcId: vpc.id,
          availabilityZone: az,
          cidrBlock: args.publicSubnetCidrs[i]!,
          // Nothing launched here needs a public address by default; NAT and load balancers bring their own.
          mapPublicIpOnLaunch: false,
          tags: tags({ Name: `${name}-public-${az}`, "kubernetes.io/role/elb": "1", ...clusterTag }),
        },
        parent,
      );
      new ec2.RouteTableAssociation(
        `${name}-public-${az}`,
        { subnetId: subnet.id, routeTableId: publicTable.id },
        parent,
      );
      return subnet;
    });

    const natZones = natMode === "single" ? args.availabilityZones.slice(0, 1) : args.availabilityZones;
    const nats = natZones.map((az, i) => {
      const eip = new ec2.Eip(
        `${name}-nat-${az}`,
        { domain: "vpc", tags: tags({ Name: `${name}-nat-${az}` }) },
        parent,
      );
      return new ec2.NatGateway(
        `${name}-nat-${az}`,
        { allocationId: eip.id, subnetId: publicSubnets[i]!.id, tags: tags({ Name: `${name}-nat-${az}` }) },
        { parent: this, dependsOn: [igw] },
      );
    });

    const privateSubnets = args.availabilityZones.map((az, i) => {
      const subnet = new ec2.Subnet(
        `${name}-private-${az}`,
        {
          vpcId: vpc.id,
          availabilityZone: az,
          cidrBlock: args.privateSubnetCidrs[i]!,
          tags: tags({ Name: `${name}-private-${az}`, "kubernetes.io/role/internal-elb": "1", ...clusterTag }),
        },
        parent,
      );
      const table = new ec2.RouteTable(
        `${name}-private-${az}`,
        { vpcId: vpc.id, tags: tags({ Name: `${name}-private-${az}` }) },
        parent,
      );
      new ec2.Route(
        `${name}-private-${az}-default`,
        { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: (nats[i] ?? nats[0]!).id },
        parent,
      );
      new ec2.RouteTableAssociation(`${name}-private-${az}`, { subnetId: subnet.id, routeTableId: table.id }, parent);
      return subnet;
    });

    this.vpcId = vpc.id;
    this.publicSubnetIds = pulumi.all(publicSubnets.map((s) => s.id));
    this.privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
