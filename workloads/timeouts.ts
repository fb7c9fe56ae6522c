/**
 * How long Pulumi waits for the slow objects (`customTimeouts`). The Kubernetes provider awaits a
 * created or updated StatefulSet until every replica is Ready and a Job until it completes, for
 * 10 minutes by default (pulumi-kubernetes v4.25.0 provider/pkg/await statefulset.go
 * DefaultStatefulSetTimeoutMins, job.go DefaultJobTimeoutMins); after that the update fails
 * although the object is still converging. Nothing here skips the await (`skipAwait`): an `up`
 * that returns before the databases are Ready would report endpoints that do not answer yet.
 */
import type * as pulumi from "@pulumi/pulumi";

/**
 * StatefulSets: replicas start one at a time (OrderedReady) and each first waits for its
 * PersistentVolume; on a cloud a disk is provisioned and attached per pod (minutes each) before
 * the image pull, so three replicas can pass 10 minutes on a healthy cluster.
 */
export const STATEFUL_SET_TIMEOUTS: pulumi.CustomTimeouts = { create: "25m", update: "25m" };

/**
 * Jobs: they wait for the pods they need (mongo's init Job for the whole replica set, bounded by
 * its own activeDeadlineSeconds of 15 minutes), so Pulumi must wait longer than the Job's own
 * deadline; the Job then reports its failure itself instead of Pulumi timing out first.
 */
export const JOB_TIMEOUTS: pulumi.CustomTimeouts = { create: "20m", update: "20m" };
