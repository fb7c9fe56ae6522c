/**
 * Checks that need AWS, run at preview before anything is created: the region is enabled for
 * the account, the zones exist there, every node group's instance types are offered in one of
 * them, EKS offers the Kubernetes version and a build of every add-on for it, a running cluster moves at most one minor up, an existing VPC's subnets are
 * in that VPC and in two zones or more, and the access entries are
 * possible (one per principal, and Pulumi's own identity gets one). The lookups go through their
 * own provider; the cluster's AWS provider waits on `checkedFacts`, so a failed check stops
 * every AWS resource from registering and reports every problem at once.
 */
import { getAvailabilityZones } from "@pulumi/aws/getAvailabilityZones";
import { getCallerIdentity } from "@pulumi/aws/getCallerIdentity";
import { getRegions } from "@pulumi/aws/getRegions";
import { getAddonVersion, getCluster, getClusterVersions } from "@pulumi/aws/eks";
import { getInstanceTypeOfferings, getSubnet } from "@pulumi/aws/ec2";
import { getSessionContext } from "@pulumi/aws/iam";
import type { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, type ConfigProblem } from "../../config/errors.js";
import { addonsFor, type AddonName } from "./plan.js";
import type { EksSettings } from "./schema.js";

/** What the lookups found; a failed lookup holds its error. */
export interface Facts {
  /** The IAM principal running Pulumi (the role behind an assumed-role session). */
  creatorArn: string | Error;
  /** Regions enabled for the account. */
  regions: string[] | Error;
  /** Available zones of the region. */
  zones: string[] | Error;
  /** Kubernetes minors EKS offers in the region. */
  versions: string[] | Error;
  /** The newest build of each add-on for the configured version. */
  addonVersions: Partial<Record<AddonName, string | Error>>;
  /** Zone and VPC of each `network.existingVpc.privateSubnetIds` entry, in order. */
  subnets?: ({ az: string; vpcId: string } | Error)[];
  /** Version of an existing cluster of this name: undefined when there is none. */
  runningVersion: string | undefined | Error;
  /** Zones of the region that offer each node group instance type (DescribeInstanceTypeOfferings). */
  instanceTypeZones?: Record<string, string[]> | Error;
}

const path = (...keys: (string | number)[]) =>
  keys.reduce<string>((p, k) => (typeof k === "number" ? `${p}[${k}]` : `${p}.${k}`), "kuar:eks");
// `--path` keeps "1.35" a string (checked with the pulumi CLI v3.248.0); quotes would be stored.
const set = (key: string, value: string) => `pulumi config set --path '${path(key)}' ${value}`;
const minor = (v: string) => Number(v.split(".")[1]);
const text = (e: Error) => e.message.split("\n")[0];

/** Every problem the facts show, in config order. Pure, so each rule is tested directly. */
export function factProblems(s: EksSettings, clusterName: string, f: Facts): ConfigProblem[] {
  if (f.creatorArn instanceof Error) {
    return [
      {
        path: path("region"),
        received: s.region,
        message: `could not be checked: AWS refused the lookups (${text(f.creatorArn)})`,
        fix: `Check the region and the credentials Pulumi runs with: aws sts get-caller-identity --region ${s.region}${s.profile ? ` --profile ${s.profile}` : ""}.`,
      },
    ];
  }
  const out: ConfigProblem[] = [];
  const add = (p: string, received: unknown, message: string, fix: string) =>
    out.push({ path: p, received, message, fix });

  if (Array.isArray(f.regions) && !f.regions.includes(s.region)) {
    add(
      path("region"),
      s.region,
      `is not a region enabled for this account (enabled: ${[...f.regions].sort().join(", ")})`,
      "Pick an enabled region, or opt in to this one (AWS console: Account, AWS Regions).",
    );
  }
  if (Array.isArray(f.zones)) {
    const zones = f.zones;
    s.availabilityZones.forEach((az, i) => {
      if (!zones.includes(az)) {
        add(
          path("availabilityZones", i),
          az,
          `is not an available zone of ${s.region} for this account (available: ${zones.join(", ")})`,
          "Use zones from `aws ec2 describe-availability-zones`.",
        );
      }
    });
  }
  if (f.instanceTypeZones instanceof Error) {
    add(
      path("nodeGroups"),
      s.nodeGroups.map((g) => g.name),
      `could not be checked against the instance types offered in ${s.region} (${text(f.instanceTypeZones)})`,
      "Allow ec2:DescribeInstanceTypeOfferings to the identity running Pulumi.",
    );
  } else if (f.instanceTypeZones) {
    const offered = f.instanceTypeZones;
    s.nodeGroups.forEach((g, i) =>
      g.instanceTypes.forEach((t, j) => {
        const where = (offered[t] ?? []).filter((z) => s.availabilityZones.includes(z));
        if (where.length === 0) {
          add(
            path("nodeGroups", i, "instanceTypes", j),
            t,
            `is not offered in any of ${s.availabilityZones.join(", ")}${offered[t]?.length ? ` (only in ${offered[t]!.join(", ")})` : ""}, so the node group cannot launch it`,
            `Pick a type offered there: aws ec2 describe-instance-type-offerings --location-type availability-zone --region ${s.region} --filters Name=instance-type,Values=${t}.`,
          );
        }
      }),
    );
  }
  const versionOffered = !Array.isArray(f.versions) || f.versions.includes(s.version);
  if (!versionOffered && Array.isArray(f.versions)) {
    const offered = [...f.versions].sort((a, b) => minor(a) - minor(b));
    add(
      path("version"),
      s.version,
      `is not a Kubernetes version EKS offers in ${s.region} (offered: ${offered.join(", ")})`,
      `Pick one, e.g. ${set("version", offered.at(-1) ?? "1.34")}.`,
    );
  }
  if (versionOffered) {
    for (const [addon, v] of Object.entries(f.addonVersions)) {
      if (v instanceof Error) {
        const key =
          addon === "aws-ebs-csi-driver"
            ? "ebsCsiDriver"
            : addon === "eks-pod-identity-agent"
              ? "podIdentity"
              : "version";
        add(
          path(key),
          key === "version" ? s.version : true,
          `needs the ${addon} add-on, which EKS has no build of for Kubernetes ${s.version} (${text(v)})`,
          key === "version"
            ? "Pick a version EKS offers add-ons for."
            : `Turn it off (${set(key, "false")}) or pick another version.`,
        );
      }
    }
  }
  if (f.runningVersion instanceof Error) {
    add(
      path("version"),
      s.version,
      `could not be compared with a running cluster ${clusterName} (${text(f.runningVersion)})`,
      "Allow eks:DescribeCluster to the identity running Pulumi.",
    );
  } else if (f.runningVersion !== undefined) {
    const from = minor(f.runningVersion);
    const to = minor(s.version);
    if (to < from) {
      add(
        path("version"),
        s.version,
        `is below the running cluster ${clusterName}'s ${f.runningVersion}; EKS never downgrades a control plane`,
        `Keep ${set("version", f.runningVersion)}.`,
      );
    } else if (to > from + 1) {
      add(
        path("version"),
        s.version,
        `is more than one minor above the running cluster ${clusterName}'s ${f.runningVersion}; EKS upgrades one minor at a time`,
        `Upgrade in steps: ${set("version", `1.${from + 1}`)}, pulumi up, and so on.`,
      );
    }
  }

  const vpc = s.network.existingVpc;
  if (vpc && f.subnets) {
    const at = (i?: number) => path("network", "existingVpc", "privateSubnetIds", ...(i === undefined ? [] : [i]));
    const zones = new Set<string>();
    f.subnets.forEach((sub, i) => {
      const id = vpc.privateSubnetIds[i];
      if (sub instanceof Error) {
        add(at(i), id, `could not be read (${text(sub)})`, "Copy the id from `aws ec2 describe-subnets`.");
      } else if (sub.vpcId !== vpc.vpcId) {
        add(
          at(i),
          id,
          `is in ${sub.vpcId}, not in network.existingVpc.vpcId ${vpc.vpcId}`,
          "List subnets of that VPC only.",
        );
      } else {
        zones.add(sub.az);
      }
    });
    if (zones.size === 1) {
      add(
        at(),
        vpc.privateSubnetIds,
        `are all in ${[...zones][0]}; EKS needs subnets in at least two Availability Zones`,
        "Add a subnet of the VPC in another zone.",
      );
    }
  }

  const creator = f.creatorArn;
  const creatorIsAdmin = s.clusterCreatorAdmin || s.admins.includes(creator);
  if (s.clusterCreatorAdmin) {
    s.admins.forEach((arn, i) => {
      if (arn === creator) {
        add(
          path("admins", i),
          arn,
          "is the identity running Pulumi, which clusterCreatorAdmin already gives an access entry (EKS allows one per principal: a second fails with 409 ResourceInUseException)",
          `Remove it from admins, or ${set("clusterCreatorAdmin", "false")} to manage it here.`,
        );
      }
    });
  }
  if (s.kubeconfigRoleArn !== undefined) {
    const role = s.kubeconfigRoleArn;
    if (!s.admins.includes(role) && !(s.clusterCreatorAdmin && role === creator)) {
      add(
        path("kubeconfigRoleArn"),
        role,
        "has no access entry (it is not in admins), so the Kubernetes provider would be refused (Unauthorized)",
        `Add it: ${set(`admins[${s.admins.length}]`, role)}.`,
      );
    }
  } else if (!creatorIsAdmin) {
    add(
      path("clusterCreatorAdmin"),
      false,
      `leaves the identity running Pulumi (${creator}) without an access entry, so the Kubernetes provider would be refused (Unauthorized)`,
      `Turn it on (${set("clusterCreatorAdmin", "true")}), add that ARN to admins, or set kubeconfigRoleArn to an admin role.`,
    );
  }
  return out;
}

/** How DescribeCluster's ResourceNotFoundException reaches Pulumi through the provider. */
const NOT_FOUND = /ResourceNotFound|not found|couldn't find resource/i;

// A fresh Error: the SDK hangs the rejected promise on an invoke's error (`.promise`), and
// pulumi.output() would find and await it inside the facts.
const settle = <T>(p: Promise<T>): Promise<T | Error> =>
  p.catch((e: unknown) => new Error(e instanceof Error ? e.message : String(e)));

/** Runs every lookup through `provider`; failures are kept as values so all are reported. */
export async function lookFacts(s: EksSettings, clusterName: string, provider: AwsProvider): Promise<Facts> {
  const opts = { provider };
  const creatorArn = settle(
    getCallerIdentity({}, opts).then(async (me) => (await getSessionContext({ arn: me.arn }, opts)).issuerArn),
  );
  const addons = addonsFor(s);
  const [creator, regions, zones, versions, running, ...builds] = await Promise.all([
    creatorArn,
    settle(getRegions({}, opts).then((r) => r.names)),
    settle(getAvailabilityZones({ state: "available" }, opts).then((z) => z.names)),
    settle(getClusterVersions({}, opts).then((v) => v.clusterVersions.map((c) => c.clusterVersion))),
    // A cluster that does not exist yet is the normal case; any other failure is reported.
    getCluster({ name: clusterName }, opts).then(
      (c) => c.version,
      (e: unknown) => (NOT_FOUND.test(String(e)) ? undefined : settle(Promise.reject(e))),
    ),
    ...addons.map((addonName) =>
      settle(
        getAddonVersion({ addonName, kubernetesVersion: s.version, mostRecent: true }, opts).then((a) => a.version),
      ),
    ),
  ]);
  const types = [...new Set(s.nodeGroups.flatMap((g) => g.instanceTypes))];
  const instanceTypeZones = await settle(
    getInstanceTypeOfferings(
      { locationType: "availability-zone", filters: [{ name: "instance-type", values: types }] },
      opts,
    ).then((o) => {
      // AWS always answers with the lists (empty when nothing matches); an answer without them
      // (kuar plan's offline stand-in, which cannot know the offerings) checks nothing.
      if (!Array.isArray(o.instanceTypes)) return undefined;
      const byType: Record<string, string[]> = {};
      o.instanceTypes.forEach((t, i) => (byType[t] ??= []).push(o.locations[i]!));
      return byType;
    }),
  );
  const subnetIds = s.network.existingVpc?.privateSubnetIds;
  const subnets = subnetIds
    ? await Promise.all(
        subnetIds.map((id) =>
          settle(getSubnet({ id }, opts).then((n) => ({ az: n.availabilityZone, vpcId: n.vpcId }))),
        ),
      )
    : undefined;
  return {
    ...(subnets ? { subnets } : {}),
    creatorArn: creator,
    regions,
    zones,
    versions,
    runningVersion: running,
    ...(instanceTypeZones !== undefined ? { instanceTypeZones } : {}),
    addonVersions: Object.fromEntries(addons.map((a, i) => [a, builds[i]!])),
  };
}

/**
 * The lookups (never rejecting: failures are values) and the gate: an Output that resolves once
 * every check passed and rejects with one ConfigError listing every problem otherwise. Only the
 * gate may reject, so the user sees that error once, not once per resource input.
 */
export function preflight(
  s: EksSettings,
  clusterName: string,
  provider: AwsProvider,
): { facts: pulumi.Output<Facts>; passed: pulumi.Output<true> } {
  const facts = pulumi.output(lookFacts(s, clusterName, provider));
  const passed = facts.apply((f) => {
    const problems = factProblems(s, clusterName, f);
    if (problems.length > 0) throw new ConfigError(problems);
    return true as const;
  });
  return { facts, passed };
}

/**
 * A looked-up value for a resource input. Every resource waits on the gate (through its
 * provider), so a failed lookup, which the gate reports, never reaches AWS; "" only keeps types.
 */
export function found(v: string | Error | undefined): string {
  return typeof v === "string" ? v : "";
}
