/** `kuar init` for EKS: region, zones, the workload group and API access; preflight: aws and its credentials. */
import { askPoolSize, cliCredentials, toolCheck, type TargetSetup } from "../setup.js";
import { DEFAULT_NODE_GROUPS } from "./schema.js";

export const setup: TargetSetup = {
  async ask(w) {
    const region = (await w.ask({
      id: "eks.region",
      path: ["eks", "region"],
      message: "AWS region",
      default: "eu-west-1",
    })) as string;
    await w.ask({
      id: "eks.availabilityZones",
      path: ["eks", "availabilityZones"],
      message: "Availability zones (2 or 3, comma-separated)",
      default: `${region}a, ${region}b`,
      kind: "list",
    });
    const group = ["eks", "nodeGroups", 1] as const;
    w.put(["eks", "nodeGroups"], [DEFAULT_NODE_GROUPS[0], { name: "workload" }]);
    await w.ask({
      id: "eks.instanceTypes",
      path: [...group, "instanceTypes"],
      message: "Instance types of the workload group (comma-separated, one architecture)",
      default: "m7i.large",
      kind: "list",
    });
    await askPoolSize(w, {
      pool: group,
      prefix: "eks",
      spotMessage: "Spot capacity for the workload group? (cheaper, 2 minutes' notice before reclaim)",
      onSpot: (on) => w.put([...group, "capacityType"], on ? "SPOT" : "ON_DEMAND"),
      max: "maxSize",
      min: "minSize",
    });
    await w.ask({
      id: "eks.publicAccessCidrs",
      path: ["eks", "publicAccessCidrs"],
      message: "Who may reach the public API endpoint? CIDRs, comma-separated (your office, VPN or CI egress)",
      kind: "list",
    });
  },
  async preflight(settings, deps) {
    const profile = typeof settings["profile"] === "string" ? ["--profile", settings["profile"]] : [];
    return [
      toolCheck(
        deps,
        "aws",
        "Install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
      ),
      await cliCredentials(
        deps,
        "aws",
        ["sts", "get-caller-identity", "--output", "json", ...profile],
        "AWS credentials",
        `Run: aws configure${profile.length ? ` --profile ${profile[1]}` : ""} (or aws sso login), or set AWS_PROFILE`,
      ),
    ];
  },
};
