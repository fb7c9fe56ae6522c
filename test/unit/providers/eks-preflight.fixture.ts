/**
 * Run by eks-preflight.test.ts in its own process: builds an EKS cluster from settings that
 * pass the schema but fail the AWS lookups, and prints what happened as one JSON line. Its own
 * process because a failed check ends a Pulumi program the way it ends a real one (an
 * unhandled rejection), which the test runner would count against the test.
 */
import { parseObject } from "../../../config/load.js";
import { useMocks } from "../../../kit/mocks.js";
import { ACCOUNT, CREATOR, invokes } from "./eks-aws.js";

const mocks = await useMocks({ stack: "prod", invokes });
const errors: string[] = [];
process.on("unhandledRejection", (e) => void errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e)));

const { target } = await import("../../../providers/eks/index.js");
const eks = {
  region: "eu-west-1",
  availabilityZones: ["eu-west-1a", "eu-west-1d"],
  version: "1.99",
  publicAccessCidrs: ["203.0.113.0/24"],
  admins: [CREATOR],
  kubeconfigRoleArn: `arn:aws:iam::${ACCOUNT}:role/not-an-admin`,
};
const settings = parseObject({ target: "eks", eks }).settings as Parameters<typeof target.create>[1];
target.create("kuar", settings, { stack: "prod", ephemeral: false, secrets: {} });
await mocks.settle(50);
process.stdout.write(
  `${JSON.stringify({ errors: [...new Set(errors)], registered: mocks.resources.map((r) => `${r.type}::${r.name}`) })}\n`,
);
process.exit(0);
