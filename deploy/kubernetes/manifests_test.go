// Package kubernetes holds the tests of the Kubernetes manifests of
// deploy/kubernetes and of the image's entrypoint run as the Indexed Job
// runs it. It has no code of its own: k8s.io/api is a test dependency.
package kubernetes

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// manifests are the objects of deploy/kubernetes, decoded.
type manifests struct {
	configMap *corev1.ConfigMap
	pvc       *corev1.PersistentVolumeClaim
	jobs      map[string]*batchv1.Job // by name
}

// loadManifests decodes every document of every YAML file here into its
// k8s.io/api type by kind, strictly: an unknown or duplicate field is an
// error, as `kubectl apply --validate=strict` would make it.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	m := manifests{jobs: map[string]*batchv1.Job{}}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocuments(data) {
			if err := m.decode(doc); err != nil {
				t.Errorf("%s, document %d: %v", file, i+1, err)
			}
		}
	}
	if m.configMap == nil || m.pvc == nil || m.jobs["stampede-shards"] == nil || m.jobs["stampede-merge"] == nil {
		t.Fatalf("manifests: want a ConfigMap, a PersistentVolumeClaim and the Jobs stampede-shards and stampede-merge; got %+v", m)
	}
	return m
}

// splitDocuments splits a multi-document YAML stream at its "---" lines,
// leaving out documents of comments alone.
func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		for _, line := range strings.Split(doc, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				docs = append(docs, []byte(doc))
				break
			}
		}
	}
	return docs
}

// strict decodes a YAML document into v as the API server's strict field
// validation does: a duplicate key, an unknown field or a field in the
// wrong case (completionmode) is an error.
func strict(doc []byte, v any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	problems, err := kjson.UnmarshalStrict(j, v, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%v", problems)
	}
	return nil
}

// decode decodes one document by its kind.
func (m *manifests) decode(doc []byte) error {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return err
	}
	switch meta.APIVersion + " " + meta.Kind {
	case "v1 ConfigMap":
		m.configMap = &corev1.ConfigMap{}
		return strict(doc, m.configMap)
	case "v1 PersistentVolumeClaim":
		m.pvc = &corev1.PersistentVolumeClaim{}
		return strict(doc, m.pvc)
	case "batch/v1 Job":
		job := &batchv1.Job{}
		if err := strict(doc, job); err != nil {
			return err
		}
		m.jobs[job.Name] = job
		return nil
	}
	return fmt.Errorf("apiVersion %q kind %q: not a kind these manifests use", meta.APIVersion, meta.Kind)
}

// TestStrictDecodingRejectsUnknownFields: the decoding the tests rely on
// does reject a misspelt field.
func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	var m manifests
	m.jobs = map[string]*batchv1.Job{}
	for _, field := range []string{"completionmode", "completionsMode"} {
		err := m.decode([]byte("apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  " + field + ": Indexed\n"))
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("decode(a Job with %s) = %v; want an unknown field error", field, err)
		}
	}
	if err := m.decode([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b, a: c}\n")); err == nil {
		t.Errorf("decode(a ConfigMap with a duplicate key) = nil; want an error")
	}
}

// TestManifests checks what the manifests must say: the shards are an
// Indexed Job whose completions, parallelism and the N of --shard agree,
// every volume mounted exists, every pod runs as non-root with resource
// limits, and the ConfigMap holds what the env reads.
func TestManifests(t *testing.T) {
	m := loadManifests(t)
	shards := m.jobs["stampede-shards"]
	s := shards.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("stampede-shards: completionMode %v; want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != *s.Parallelism {
		t.Fatalf("stampede-shards: completions %v, parallelism %v; want equal, every shard at once", s.Completions, s.Parallelism)
	}
	args := shards.Spec.Template.Spec.Containers[0].Args
	want := fmt.Sprintf("$(JOB_COMPLETION_INDEX)/%d", *s.Completions)
	if i := slices.Index(args, "--shard"); i < 0 || i+1 >= len(args) || args[i+1] != want {
		t.Errorf("stampede-shards: args %q; want --shard %s (completions: %d)", args, want, *s.Completions)
	}
	if !slices.Contains(args, "--run-id") || args[0] != "run" {
		t.Errorf("stampede-shards: args %q; want run … --run-id", args)
	}
	merge := m.jobs["stampede-merge"]
	if a := merge.Spec.Template.Spec.Containers[0].Args; len(a) < 2 || a[0] != "report" {
		t.Errorf("stampede-merge: args %q; want report FILES…", a)
	}
	if !slices.Contains(m.pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("the results' claim: access modes %v; want ReadWriteMany (pods on several nodes write it)", m.pvc.Spec.AccessModes)
	}
	for _, job := range []*batchv1.Job{shards, merge} {
		checkPod(t, job.Name, job.Spec.Template.Spec, m)
	}
}

// checkPod checks a Job's pod: its mounts name its volumes, whose
// ConfigMap and claim exist; it runs as non-root, cannot escalate, and
// has resource requests and limits; its env's ConfigMap keys exist.
func checkPod(t *testing.T, job string, pod corev1.PodSpec, m manifests) {
	t.Helper()
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restartPolicy %q; want Never (a shard rerun would send its share twice)", job, pod.RestartPolicy)
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
		if cm := v.ConfigMap; cm != nil && cm.Name != m.configMap.Name {
			t.Errorf("%s: volume %s: ConfigMap %q; the manifests have %q", job, v.Name, cm.Name, m.configMap.Name)
		}
		if c := v.PersistentVolumeClaim; c != nil && c.ClaimName != m.pvc.Name {
			t.Errorf("%s: volume %s: claim %q; the manifests have %q", job, v.Name, c.ClaimName, m.pvc.Name)
		}
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext %+v; want runAsNonRoot and a runAsUser other than 0", job, sc)
	}
	for _, c := range pod.Containers {
		for _, vm := range c.VolumeMounts {
			if _, ok := volumes[vm.Name]; !ok {
				t.Errorf("%s: container %s mounts %s: no such volume", job, c.Name, vm.Name)
			}
		}
		if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("%s: container %s: securityContext %+v; want no privilege escalation and a read-only root", job, c.Name, sc)
		}
		if c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s: container %s: resources %+v; want CPU and memory requests and limits", job, c.Name, c.Resources)
		}
		for _, env := range c.Env {
			if ref := env.ValueFrom; ref != nil && ref.ConfigMapKeyRef != nil {
				if _, ok := m.configMap.Data[ref.ConfigMapKeyRef.Key]; !ok || ref.ConfigMapKeyRef.Name != m.configMap.Name {
					t.Errorf("%s: env %s reads %s/%s: not in the ConfigMap", job, env.Name, ref.ConfigMapKeyRef.Name, ref.ConfigMapKeyRef.Key)
				}
			}
		}
	}
}

// TestDockerfile checks the image definition: multi-stage, a static
// build, a distroless non-root base, the binary as the entrypoint.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var from []string
	var entrypoint, user string
	static := false
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			from = append(from, fields[1])
		case "ENTRYPOINT":
			entrypoint = strings.Join(fields[1:], " ")
		case "USER":
			user = fields[1]
		case "RUN":
			static = static || bytes.Contains([]byte(line), []byte("CGO_ENABLED=0 go build -trimpath"))
		}
	}
	if len(from) < 2 || !strings.HasPrefix(from[0], "golang:1.26") || !strings.HasPrefix(from[len(from)-1], "gcr.io/distroless/static") || !strings.HasSuffix(from[len(from)-1], ":nonroot") {
		t.Errorf("Dockerfile: FROM %q; want a golang:1.26 build stage and a distroless static nonroot image", from)
	}
	if entrypoint != `["/stampede"]` || user == "" || user == "0" || strings.HasPrefix(user, "root") || !static {
		t.Errorf("Dockerfile: ENTRYPOINT %s, USER %q, static build %v; want [\"/stampede\"], a non-root user, CGO_ENABLED=0 go build -trimpath", entrypoint, user, static)
	}
}
