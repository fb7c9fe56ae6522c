package main

import (
	"encoding/json"
	"testing"
)

func obj(t *testing.T, s string) map[string]interface{} {
	t.Helper()
	var m map[string]interface{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

type readyCase struct {
	name      string
	obj       string
	facts     readyFacts
	wantReady bool
	wantErr   bool
}

func runReady(t *testing.T, group, kind string, cases []readyCase) {
	t.Helper()
	f := readinessFor(group, kind)
	for _, c := range cases {
		t.Run(kind+"/"+c.name, func(t *testing.T) {
			ready, msg, err := f(obj(t, c.obj), c.facts)
			if ready != c.wantReady || (err != nil) != c.wantErr {
				t.Errorf("ready=%v err=%v (msg %q); want ready=%v err=%v", ready, err, msg, c.wantReady, c.wantErr)
			}
		})
	}
}

func TestDeploymentReady(t *testing.T) {
	runReady(t, "apps", "Deployment", []readyCase{
		{"fresh", `{"metadata":{"generation":1},"spec":{"replicas":2}}`, readyFacts{}, false, false},
		{"rolling", `{"metadata":{"generation":2},"spec":{"replicas":2},"status":{"observedGeneration":2,"replicas":3,"updatedReplicas":2,"readyReplicas":2,"availableReplicas":2}}`, readyFacts{}, false, false},
		{"stale status", `{"metadata":{"generation":3},"spec":{"replicas":2},"status":{"observedGeneration":2,"replicas":2,"updatedReplicas":2,"readyReplicas":2,"availableReplicas":2}}`, readyFacts{}, false, false},
		{"ready", `{"metadata":{"generation":2},"spec":{"replicas":2},"status":{"observedGeneration":2,"replicas":2,"updatedReplicas":2,"readyReplicas":2,"availableReplicas":2}}`, readyFacts{}, true, false},
		{"default one replica", `{"metadata":{"generation":1},"spec":{},"status":{"observedGeneration":1,"replicas":1,"updatedReplicas":1,"readyReplicas":1,"availableReplicas":1}}`, readyFacts{}, true, false},
		{"scaled to zero", `{"metadata":{"generation":1},"spec":{"replicas":0},"status":{"observedGeneration":1}}`, readyFacts{}, true, false},
		{"deadline", `{"metadata":{"generation":1},"spec":{"replicas":1},"status":{"observedGeneration":1,"conditions":[{"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded","message":"too slow"}]}}`, readyFacts{}, false, true},
	})
}

func TestStatefulSetReady(t *testing.T) {
	runReady(t, "apps", "StatefulSet", []readyCase{
		{"not ready", `{"metadata":{"generation":1},"spec":{"replicas":2},"status":{"observedGeneration":1,"readyReplicas":1,"currentRevision":"a","updateRevision":"a"}}`, readyFacts{}, false, false},
		{"rolling", `{"metadata":{"generation":2},"spec":{"replicas":2},"status":{"observedGeneration":2,"readyReplicas":2,"currentRevision":"a","updateRevision":"b"}}`, readyFacts{}, false, false},
		{"on delete ignores revisions", `{"metadata":{"generation":2},"spec":{"replicas":2,"updateStrategy":{"type":"OnDelete"}},"status":{"observedGeneration":2,"readyReplicas":2,"currentRevision":"a","updateRevision":"b"}}`, readyFacts{}, true, false},
		{"ready", `{"metadata":{"generation":2},"spec":{"replicas":2},"status":{"observedGeneration":2,"readyReplicas":2,"currentRevision":"b","updateRevision":"b"}}`, readyFacts{}, true, false},
	})
}

func TestDaemonSetReady(t *testing.T) {
	runReady(t, "apps", "DaemonSet", []readyCase{
		{"partial", `{"metadata":{"generation":1},"status":{"observedGeneration":1,"desiredNumberScheduled":3,"numberReady":2,"updatedNumberScheduled":3}}`, readyFacts{}, false, false},
		{"ready", `{"metadata":{"generation":1},"status":{"observedGeneration":1,"desiredNumberScheduled":3,"numberReady":3,"updatedNumberScheduled":3}}`, readyFacts{}, true, false},
	})
}

func TestJobReady(t *testing.T) {
	runReady(t, "batch", "Job", []readyCase{
		{"running", `{"status":{"active":1}}`, readyFacts{}, false, false},
		{"complete", `{"status":{"succeeded":1,"conditions":[{"type":"SuccessCriteriaMet","status":"True"},{"type":"Complete","status":"True"}]}}`, readyFacts{}, true, false},
		{"failed", `{"status":{"failed":6,"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","message":"Job has reached the specified backoff limit"}]}}`, readyFacts{}, false, true},
	})
}

func TestPodPVCServiceNamespaceCRD(t *testing.T) {
	runReady(t, "", "Pod", []readyCase{
		{"pending", `{"status":{"phase":"Pending","containerStatuses":[{"name":"a","state":{"waiting":{"reason":"ContainerCreating"}}}]}}`, readyFacts{}, false, false},
		{"ready", `{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}`, readyFacts{}, true, false},
		{"failed", `{"status":{"phase":"Failed","reason":"Evicted"}}`, readyFacts{}, false, true},
	})
	runReady(t, "", "PersistentVolumeClaim", []readyCase{
		{"pending", `{"status":{"phase":"Pending"}}`, readyFacts{}, false, false},
		{"bound", `{"status":{"phase":"Bound"}}`, readyFacts{}, true, false},
		{"wait for first consumer", `{"status":{"phase":"Pending"}}`, readyFacts{pvcWaitsForConsumer: true}, true, false},
	})
	runReady(t, "", "Service", []readyCase{
		{"no selector", `{"spec":{"type":"ClusterIP"}}`, readyFacts{}, true, false},
		{"selector without endpoints", `{"spec":{"type":"ClusterIP","selector":{"app":"a"}}}`, readyFacts{}, false, false},
		{"selector with endpoints", `{"spec":{"type":"ClusterIP","selector":{"app":"a"}}}`, readyFacts{readyEndpoints: 1}, true, false},
		{"headless", `{"spec":{"clusterIP":"None","selector":{"app":"a"}}}`, readyFacts{}, true, false},
		{"load balancer not awaited", `{"spec":{"type":"LoadBalancer"}}`, readyFacts{}, true, false},
		{"load balancer awaited", `{"metadata":{"annotations":{"kuar.dev/await-load-balancer":"true"}},"spec":{"type":"LoadBalancer"}}`, readyFacts{}, false, false},
		{"load balancer has address", `{"metadata":{"annotations":{"kuar.dev/await-load-balancer":"true"}},"spec":{"type":"LoadBalancer"},"status":{"loadBalancer":{"ingress":[{"ip":"10.1.1.1"}]}}}`, readyFacts{}, true, false},
	})
	runReady(t, "", "Namespace", []readyCase{
		{"active", `{"status":{"phase":"Active"}}`, readyFacts{}, true, false},
		{"terminating", `{"status":{"phase":"Terminating"}}`, readyFacts{}, false, false},
	})
	runReady(t, "apiextensions.k8s.io", "CustomResourceDefinition", []readyCase{
		{"new", `{"status":{}}`, readyFacts{}, false, false},
		{"established", `{"status":{"conditions":[{"type":"NamesAccepted","status":"True"},{"type":"Established","status":"True"}]}}`, readyFacts{}, true, false},
	})
	runReady(t, "", "ConfigMap", []readyCase{{"exists", `{}`, readyFacts{}, true, false}})
}
