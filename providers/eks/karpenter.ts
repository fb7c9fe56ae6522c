/**
 * Node auto-provisioning on EKS with Karpenter: a node role with its instance profile and an
 * EC2_LINUX access entry, the controller's IAM role (IRSA, scoped to its service account), an
 * interruption queue fed by EventBridge, the chart at its pinned version, and a default
 * EC2NodeClass and NodePool.
 *
 * Order: the chart waits for its role, the node role's access entry and the queue; the
 * EC2NodeClass waits for the chart (its CRDs and controller), the NodePool for the EC2NodeClass.
 * Destroy runs the reverse: the NodePool goes first, the EC2NodeClass's finalizer holds until the
 * controller has terminated every node it launched, and only then go the controller, its role
 * and the access entry, while the cluster and its managed node groups still stand.
 */
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as eks from "@pulumi/aws/eks";
import * as iam from "@pulumi/aws/iam";
import * as sqs from "@pulumi/aws/sqs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartArgs } from "../../bootstrap/chart.js";
import { charts } from "../../config/versions.js";
import type { Arch } from "../contract.js";
import {
  chartValues,
  controllerPolicy,
  DEFAULT_NODE_CLASS,
  DEFAULT_NODE_POOL,
  eventPattern,
  INTERRUPTION_EVENTS,
  KARPENTER_NAMESPACE,
  KARPENTER_SERVICE_ACCOUNT,
  nodeClassSpec,
  nodePoolSpec,
  queuePolicy,
  type KarpenterSettings,
} from "./karpenter-plan.js";
import { irsaTrustPolicy, managedPolicyArn, serviceTrustPolicy } from "./plan.js";

export interface EksKarpenterArgs {
  /** Validated `kuar:eks.nodeAutoProvisioning`. */
  settings: KarpenterSettings;
  /** AWS region of the cluster. */
  region: string;
  /** EKS cluster name and ARN. */
  clusterName: pulumi.Input<string>;
  clusterArn: pulumi.Input<string>;
  /** The cluster's IAM OIDC provider and issuer URL, for the controller's IRSA trust. */
  oidcProviderArn: pulumi.Input<string>;
  oidcIssuer: pulumi.Input<string>;
  /** Subnets Karpenter launches nodes into (the cluster's private subnets). */
  subnetIds: pulumi.Input<string[]>;
  /** The EKS cluster security group, which managed node groups use too. */
  securityGroupId: pulumi.Input<string>;
  /** Managed policies of the node role, the same set as the managed node groups'. */
  nodePolicies: string[];
  /** Architecture(s) the cluster reports; launched nodes match it. */
  arch: Arch;
  /** Controller replicas (one per node; see controllerReplicas). */
  replicas: 1 | 2;
  /** Tags on what Karpenter launches (the AWS provider's default tags do not reach it). @default {} */
  tags?: Record<string, string>;
}

export class EksKarpenter extends pulumi.ComponentResource {
  /** The IAM role Karpenter's nodes run as. */
  readonly nodeRoleArn: pulumi.Output<string>;
  /** The interruption queue's name, when there is one. */
  readonly queueName: pulumi.Output<string> | undefined;

  /** `opts.providers` must carry the cluster's `aws` and `kubernetes` providers. */
  constructor(name: string, args: EksKarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:providers:EksKarpenter", name, {}, opts);
    const s = args.settings;
    const child = { parent: this };

    const nodeRole = new iam.Role(`${name}-node`, { assumeRolePolicy: serviceTrustPolicy("ec2", args.region) }, child);
    const nodeAttachments = args.nodePolicies.map(
      (p) =>
        new iam.RolePolicyAttachment(
          `${name}-node-${p}`,
          { role: nodeRole.name, policyArn: managedPolicyArn(args.region, p) },
          child,
        ),
    );
    const profile = new iam.InstanceProfile(`${name}-node`, { role: nodeRole.name }, child);
    // Nodes join through an access entry; EC2_LINUX maps them to system:nodes (no policy association).
    const nodeAccess = new eks.AccessEntry(
      `${name}-node`,
      { clusterName: args.clusterName, principalArn: nodeRole.arn, type: "EC2_LINUX" },
      child,
    );

    const queue = s.interruptionQueue ? this.interruptionQueue(name) : undefined;

    const controller = new iam.Role(
      `${name}-controller`,
      {
        assumeRolePolicy: pulumi
          .all([args.oidcProviderArn, args.oidcIssuer])
          .apply(([arn, issuer]) => irsaTrustPolicy(arn, issuer, KARPENTER_NAMESPACE, KARPENTER_SERVICE_ACCOUNT)),
      },
      child,
    );
    const controllerPermissions = new iam.RolePolicy(
      `${name}-controller`,
      {
        role: controller.name,
        policy: pulumi
          .all([args.clusterName, args.clusterArn, nodeRole.arn, profile.arn, queue?.queue.arn])
          .apply(([clusterName, clusterArn, nodeRoleArn, instanceProfileArn, queueArn]) =>
            controllerPolicy({
              region: args.region,
              clusterName,
              clusterArn,
              nodeRoleArn,
              instanceProfileArn,
              queueArn,
            }),
          ),
      },
      child,
    );

    const values = pulumi
      .all([args.clusterName, controller.arn, queue?.queue.name])
      .apply(([clusterName, roleArn, queueName]) =>
        chartValues({ clusterName, roleArn, queueName, replicas: args.replicas }),
      );
    // The values wait for the role and queue names; chartArgs builds the rest from the pin.
    const chart = new k8s.helm.v4.Chart(
      name,
      { ...chartArgs(charts.karpenter, KARPENTER_NAMESPACE, {}), values },
      { ...child, dependsOn: [controllerPermissions, nodeAccess, ...nodeAttachments, ...(queue?.wiring ?? [])] },
    );

    const nodeClass = new k8s.apiextensions.CustomResource(
      `${name}-${DEFAULT_NODE_CLASS}`,
      {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name: DEFAULT_NODE_CLASS },
        spec: pulumi
          .all([profile.name, args.subnetIds, args.securityGroupId, args.clusterName])
          .apply(([instanceProfile, subnetIds, securityGroupId, clusterName]) =>
            nodeClassSpec({
              alias: s.amiAlias,
              instanceProfile,
              subnetIds,
              securityGroupId,
              tags: { ...args.tags, "kuar.io/cluster": clusterName },
            }),
          ),
      },
      { ...child, dependsOn: [chart, profile, nodeAccess] },
    );
    new k8s.apiextensions.CustomResource(
      `${name}-${DEFAULT_NODE_POOL}`,
      {
        apiVersion: "karpenter.sh/v1",
        kind: "NodePool",
        metadata: { name: DEFAULT_NODE_POOL },
        spec: nodePoolSpec(s, args.arch),
      },
      { ...child, dependsOn: [nodeClass] },
    );

    this.nodeRoleArn = nodeRole.arn;
    this.queueName = queue?.queue.name;
    this.registerOutputs({ nodeRoleArn: this.nodeRoleArn, queueName: this.queueName });
  }

  /** The SQS queue (SSE on, messages kept five minutes) and one EventBridge rule per event kind. */
  private interruptionQueue(name: string): { queue: sqs.Queue; wiring: pulumi.Resource[] } {
    const child = { parent: this };
    const queue = new sqs.Queue(
      `${name}-interruption`,
      { messageRetentionSeconds: 300, sqsManagedSseEnabled: true },
      child,
    );
    const policy = new sqs.QueuePolicy(
      `${name}-interruption`,
      { queueUrl: queue.url, policy: queue.arn.apply(queuePolicy) },
      child,
    );
    const targets = INTERRUPTION_EVENTS.map((e) => {
      const rule = new cloudwatch.EventRule(`${name}-${e.id}`, { eventPattern: eventPattern(e) }, child);
      return new cloudwatch.EventTarget(`${name}-${e.id}`, { rule: rule.name, arn: queue.arn }, child);
    });
    return { queue, wiring: [policy, ...targets] };
  }
}
