/**
 * The EKS target: a VPC (or an existing one), an EKS control plane with access entries, KMS
 * envelope encryption and control plane logs, an IAM OIDC provider for IRSA, managed node
 * groups with least-privilege roles, EKS-managed add-ons pinned to the cluster's version, and a
 * Kubernetes provider built from an exec-based kubeconfig.
 *
 * Order, for `up` and (reversed) for `destroy`: lookups and checks, then the cluster, then the
 * networking add-ons, node groups, the add-ons that need nodes and the access entries; the
 * Kubernetes provider depends on all of them, so every Kubernetes object (LoadBalancer Services,
 * Gateways, PVCs) is created after them and deleted before them. See docs/targets/eks.md.
 */
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as eks from "@pulumi/aws/eks";
import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterCapabilities, KubernetesCluster } from "../contract.js";
import { accessEntries, adminPrincipals } from "./access.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { EksKarpenter } from "./karpenter.js";
import { controllerReplicas } from "./karpenter-plan.js";
import { EksNetwork } from "./network.js";
import {
  addonConfiguration,
  addonsFor,
  type AddonName,
  amiTypeFor,
  capabilitiesFor,
  deriveSubnets,
  eksTaints,
  GP3_STORAGE_CLASS,
  irsaTrustPolicy,
  managedPolicyArn,
  NEEDS_NODES,
  nodePolicies,
  protection,
  serviceTrustPolicy,
  updateConfigFor,
} from "./plan.js";
import { found, preflight } from "./preflight.js";
import type { EksSettings } from "./schema.js";

export interface EksClusterArgs {
  /** Validated `kuar:eks` settings (schema.ts documents each one and its default). */
  settings: EksSettings;
  /** EKS cluster name. */
  clusterName: string;
  /** Ephemeral stacks turn deletion protection off and shorten the KMS key's deletion window. @default false */
  ephemeral?: boolean;
}

export class EksCluster extends pulumi.ComponentResource implements KubernetesCluster {
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly oidcProviderArn: pulumi.Output<string>;
  readonly capabilities: ClusterCapabilities;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kuar:providers:EksCluster", name, {}, opts);
    const s = args.settings;
    const ephemeral = args.ephemeral ?? false;
    const guard = protection(s.deletionProtection, ephemeral);
    const policy = (n: string) => managedPolicyArn(s.region, n);

    // Settings name the region and profile, so the AWS providers are built from them rather than
    // from whatever `aws:region` the stack happens to carry. Lookups have their own provider: the
    // main one waits for their checks, so nothing is created when one fails.
    const account = { region: s.region, ...(s.profile ? { profile: s.profile } : {}) };
    const lookup = new AwsProvider(`${name}-lookup`, account, { parent: this });
    const { facts, passed } = preflight(s, args.clusterName, lookup);
    const aws = new AwsProvider(
      `${name}-aws`,
      { ...account, defaultTags: { tags: { ...s.tags, "kuar.io/cluster": args.clusterName } } },
      { parent: this, dependsOn: passed.apply(() => []) },
    );
    const child = { parent: this, provider: aws };

    const { vpcId, subnetIds } = this.network(name, args, aws, guard.protect);

    // Created before the cluster so EKS writes into it and the retention applies (EKS's own
    // group never expires).
    const logGroup = new cloudwatch.LogGroup(
      `${name}-control-plane-logs`,
      { name: `/aws/eks/${args.clusterName}/cluster`, retentionInDays: s.logging.retentionDays },
      child,
    );
    const key = s.secretsEncryption
      ? new kms.Key(
          `${name}-secrets`,
          {
            description: `Envelope encryption of Kubernetes Secrets in EKS cluster ${args.clusterName}`,
            enableKeyRotation: true,
            deletionWindowInDays: ephemeral ? 7 : 30,
          },
          { ...child, protect: guard.protect },
        )
      : undefined;

    const clusterRole = new iam.Role(
      `${name}-cluster`,
      { assumeRolePolicy: serviceTrustPolicy("eks", s.region) },
      child,
    );
    const clusterPolicy = new iam.RolePolicyAttachment(
      `${name}-cluster-AmazonEKSClusterPolicy`,
      { role: clusterRole.name, policyArn: policy("AmazonEKSClusterPolicy") },
      child,
    );

    const cluster = new eks.Cluster(
      `${name}-eks`,
      {
        name: args.clusterName,
        version: s.version,
        roleArn: clusterRole.arn,
        vpcConfig: {
          subnetIds,
          endpointPrivateAccess: s.endpointPrivateAccess,
          endpointPublicAccess: s.endpointPublicAccess,
          ...(s.endpointPublicAccess && s.publicAccessCidrs ? { publicAccessCidrs: s.publicAccessCidrs } : {}),
        },
        // Access entries (API) instead of the aws-auth ConfigMap: IAM access is an AWS API object,
        // auditable in CloudTrail, and cannot be lost by a bad kubectl edit. The creator's entry
        // is managed below like any other (the bootstrap flag is create-only and forces a new cluster).
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
        ...(key ? { encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] } } : {}),
        enabledClusterLogTypes: s.logging.types,
        deletionProtection: guard.deletionProtection,
        // vpc-cni, kube-proxy and CoreDNS come as EKS-managed add-ons below, upgradable in place.
        bootstrapSelfManagedAddons: false,
      },
      {
        ...child,
        protect: guard.protect,
        dependsOn: [clusterPolicy, logGroup],
        // Clusters made before kuar managed the creator's entry carry `true`; changing it would replace them.
        ignoreChanges: ["accessConfig.bootstrapClusterCreatorAdminPermissions"],
      },
    );
    this.name = cluster.name;
    this.arn = cluster.arn;

    const issuer = cluster.identities.apply((ids) => ids[0]?.oidcs[0]?.issuer ?? "");
    // No thumbprint: IAM trusts the public CA behind EKS's OIDC issuers itself, so a pinned
    // thumbprint would only break when the certificate rotates.
    const oidc = new iam.OpenIdConnectProvider(
      `${name}-oidc`,
      { url: issuer, clientIdLists: ["sts.amazonaws.com"] },
      child,
    );
    this.oidcProviderArn = oidc.arn;
    const irsaRole = (id: string, namespace: string, sa: string, policyName: string) => {
      const role = new iam.Role(
        `${name}-${id}`,
        { assumeRolePolicy: pulumi.all([oidc.arn, issuer]).apply(([a, i]) => irsaTrustPolicy(a, i, namespace, sa)) },
        child,
      );
      new iam.RolePolicyAttachment(
        `${name}-${id}-${policyName}`,
        { role: role.name, policyArn: policy(policyName) },
        child,
      );
      return role;
    };

    const access = accessEntries(
      name,
      cluster.name,
      s.region,
      adminPrincipals(s.admins, s.clusterCreatorAdmin ? facts.apply((f) => found(f.creatorArn)) : undefined),
      child,
    );

    // Each add-on is pinned to the newest build EKS offers for the cluster's version, so raising
    // `version` moves them too (after the control plane, which they reference).
    const addon = (addonName: AddonName, extra: Partial<eks.AddonArgs>, dependsOn: pulumi.Resource[]) => {
      const configurationValues = addonConfiguration(addonName);
      return new eks.Addon(
        `${name}-${addonName}`,
        {
          clusterName: cluster.name,
          addonName,
          addonVersion: facts.apply((f) => found(f.addonVersions[addonName])),
          ...(configurationValues ? { configurationValues } : {}),
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "PRESERVE",
          ...extra,
        },
        { ...child, dependsOn },
      );
    };
    const wanted = addonsFor(s);
    // Networking add-ons go before nodes: without a CNI no node becomes Ready.
    const cniRole = s.vpcCniIrsa ? irsaRole("vpc-cni", "kube-system", "aws-node", "AmazonEKS_CNI_Policy") : undefined;
    const beforeNodes = wanted
      .filter((a) => !NEEDS_NODES.includes(a))
      .map((a) => addon(a, a === "vpc-cni" && cniRole ? { serviceAccountRoleArn: cniRole.arn } : {}, []));

    const nodeRole = new iam.Role(`${name}-node`, { assumeRolePolicy: serviceTrustPolicy("ec2", s.region) }, child);
    const nodeAttachments = nodePolicies(s.vpcCniIrsa).map(
      (p) => new iam.RolePolicyAttachment(`${name}-node-${p}`, { role: nodeRole.name, policyArn: policy(p) }, child),
    );
    const groups = s.nodeGroups.map(
      (g) =>
        new eks.NodeGroup(
          `${name}-${g.name}`,
          {
            clusterName: cluster.name,
            version: cluster.version,
            nodeRoleArn: nodeRole.arn,
            subnetIds,
            instanceTypes: g.instanceTypes,
            capacityType: g.capacityType,
            amiType: amiTypeFor(g),
            diskSize: g.diskSize,
            labels: { ...g.labels, "kuar.io/node-group": g.name },
            taints: eksTaints(g.taints),
            scalingConfig: { minSize: g.minSize, maxSize: g.maxSize, desiredSize: g.desiredSize ?? g.minSize },
            updateConfig: updateConfigFor(g),
          },
          // An autoscaler owns desiredSize after creation; Pulumi must not scale the group back.
          { ...child, dependsOn: [...nodeAttachments, ...beforeNodes], ignoreChanges: ["scalingConfig.desiredSize"] },
        ),
    );

    // CoreDNS and the EBS CSI driver run as pods, so they only turn healthy once nodes exist; and
    // they go before the node groups on destroy, while nodes still run their controllers.
    const ebsRole = s.ebsCsiDriver
      ? irsaRole("ebs-csi", "kube-system", "ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy")
      : undefined;
    const afterNodes = new Map(
      wanted
        .filter((a) => NEEDS_NODES.includes(a))
        .map((a) => [
          a,
          addon(a, a === "aws-ebs-csi-driver" && ebsRole ? { serviceAccountRoleArn: ebsRole.arn } : {}, groups),
        ]),
    );
    const ebs = afterNodes.get("aws-ebs-csi-driver");

    this.kubeconfig = pulumi.secret(
      pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([clusterName, endpoint, ca]) =>
        renderKubeconfig({
          clusterName,
          region: s.region,
          endpoint,
          certificateAuthorityData: ca.data,
          roleArn: s.kubeconfigRoleArn,
          profile: s.profile,
        }),
      ),
    );
    // The ARN names this cluster for its whole life; a kubeconfig change (new endpoint form,
    // another role) updates the provider instead of replacing every Kubernetes object. It waits
    // for the access entries (else Unauthorized), the nodes and the add-ons that run on them, so
    // no object races them on `up`, and every object is gone before they go on `destroy`.
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, clusterIdentifier: cluster.arn },
      { parent: this, dependsOn: [...access, ...groups, ...afterNodes.values()] },
    );

    if (ebs) {
      new k8s.storage.v1.StorageClass(
        `${name}-${GP3_STORAGE_CLASS}`,
        {
          metadata: { name: GP3_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
          provisioner: "ebs.csi.aws.com",
          parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
          reclaimPolicy: "Delete",
          volumeBindingMode: "WaitForFirstConsumer",
          allowVolumeExpansion: true,
        },
        { parent: this, provider: this.provider, dependsOn: [ebs] },
      );
    }

    this.capabilities = capabilitiesFor(s);
    if (s.nodeAutoProvisioning) {
      new EksKarpenter(
        `${name}-karpenter`,
        {
          settings: s.nodeAutoProvisioning,
          region: s.region,
          clusterName: cluster.name,
          clusterArn: cluster.arn,
          oidcProviderArn: oidc.arn,
          oidcIssuer: issuer,
          subnetIds,
          securityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
          nodePolicies: nodePolicies(s.vpcCniIrsa),
          arch: this.capabilities.arch,
          replicas: controllerReplicas(s.nodeGroups),
          tags: s.tags,
        },
        { parent: this, providers: { aws, kubernetes: this.provider } },
      );
    }
    this.registerOutputs({
      name: this.name,
      arn: this.arn,
      kubeconfig: this.kubeconfig,
      oidcProviderArn: this.oidcProviderArn,
      vpcId,
    });
  }

  private network(name: string, args: EksClusterArgs, aws: AwsProvider, protect: boolean) {
    const n = args.settings.network;
    if (n.existingVpc) {
      return { vpcId: pulumi.output(n.existingVpc.vpcId), subnetIds: pulumi.output(n.existingVpc.privateSubnetIds) };
    }
    const vpcCidr = n.vpcCidr ?? "10.0.0.0/16";
    const derived = deriveSubnets(vpcCidr, args.settings.availabilityZones.length);
    const net = new EksNetwork(
      `${name}-vpc`,
      {
        clusterName: args.clusterName,
        availabilityZones: args.settings.availabilityZones,
        vpcCidr,
        publicSubnetCidrs: n.publicSubnetCidrs ?? derived.public,
        privateSubnetCidrs: n.privateSubnetCidrs ?? derived.private,
        natGateways: n.natGateways,
        protect,
      },
      { parent: this, providers: { aws } },
    );
    return { vpcId: net.vpcId, subnetIds: net.privateSubnetIds };
  }
}
