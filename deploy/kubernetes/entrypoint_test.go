package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// completionIndex is the downward API field of an Indexed Job's pod
// holding its index, which the Job controller also sets as the env
// variable JOB_COMPLETION_INDEX.
const completionIndex = "metadata.annotations['batch.kubernetes.io/job-completion-index']"

// pod is one pod of a Job as the test runs it: the container's args with
// $(VAR) expanded as Kubernetes expands them, and its environment.
type pod struct {
	args []string
	env  []string
}

// podOf builds pod index of a Job: its container's env from the
// manifests (values, ConfigMap keys, the completion index), overridden
// by override; its args expanded; every path under a volume's mount
// moved under root (root/profile for /profile, …), where the caller
// puts what the volume holds.
func podOf(t *testing.T, m manifests, job *batchv1.Job, index int, override map[string]string, root string) pod {
	t.Helper()
	c := job.Spec.Template.Spec.Containers[0]
	vars := map[string]string{}
	if job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion {
		vars["JOB_COMPLETION_INDEX"] = strconv.Itoa(index) // set by the Job controller
	}
	var env []string
	for _, e := range c.Env {
		v := envValue(t, m, e, index)
		if o, ok := override[e.Name]; ok {
			v = o
		}
		vars[e.Name] = v
	}
	for name, v := range vars {
		env = append(env, name+"="+v)
	}
	var args []string
	for _, a := range c.Args {
		a = expand(a, vars)
		for _, vm := range c.VolumeMounts {
			a = strings.ReplaceAll(a, vm.MountPath+"/", filepath.Join(root, vm.MountPath)+"/")
		}
		args = append(args, a)
	}
	return pod{args: args, env: env}
}

// envValue is the value Kubernetes gives an env entry.
func envValue(t *testing.T, m manifests, e corev1.EnvVar, index int) string {
	t.Helper()
	switch {
	case e.ValueFrom == nil:
		return expand(e.Value, nil)
	case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == completionIndex:
		return strconv.Itoa(index)
	case e.ValueFrom.ConfigMapKeyRef != nil:
		return m.configMap.Data[e.ValueFrom.ConfigMapKeyRef.Key]
	}
	t.Fatalf("env %s: a source the test does not know: %+v", e.Name, e.ValueFrom)
	return ""
}

// expand expands $(VAR) as Kubernetes does in a container's args: a
// variable the container defines is replaced, any other reference is
// left as it is, and $$ is a literal $.
func expand(s string, vars map[string]string) string {
	return regexp.MustCompile(`\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(s, func(ref string) string {
		if ref == "$$" {
			return "$"
		}
		if v, ok := vars[ref[2:len(ref)-1]]; ok {
			return v
		}
		return ref
	})
}

// TestExpand checks the $(VAR) expansion the entrypoint test relies on.
func TestExpand(t *testing.T) {
	vars := map[string]string{"JOB_COMPLETION_INDEX": "3", "RUN_ID": "r7"}
	for in, want := range map[string]string{
		"$(JOB_COMPLETION_INDEX)/4":                            "3/4",
		"/results/$(RUN_ID)-shard-$(JOB_COMPLETION_INDEX).bin": "/results/r7-shard-3.bin",
		"$(UNSET)/4": "$(UNSET)/4",
		"$$(RUN_ID)": "$(RUN_ID)",
	} {
		if got := expand(in, vars); got != want {
			t.Errorf("expand(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestEntrypointAsIndexedJob runs the image's entrypoint, the stampede
// binary, as the Jobs of the manifests run it: one process per index of
// the shards' Indexed Job, with the env and args Kubernetes gives each
// pod (the target a local server, the phases shortened), the volumes as
// directories shared by every process, then the merge Job's process.
// Every shard exits 0, the merge exits 0 (the verdict passed) having
// written its reports, and the merged run holds every request the
// server answered, from every shard.
func TestEntrypointAsIndexedJob(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no such paths")
	}
	bin := build(t)
	m := loadManifests(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	root := t.TempDir()
	for _, dir := range []string{"profile", "results"} {
		if err := os.Mkdir(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeProfile(t, m, filepath.Join(root, "profile", "profile.yaml"))
	override := map[string]string{"TARGET_URL": srv.URL}

	shards := m.jobs["stampede-shards"]
	n := int(*shards.Spec.Completions)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range n {
		p := podOf(t, m, shards, i, override, root)
		cmds[i] = exec.CommandContext(ctx, bin, p.args...)
		cmds[i].Env, cmds[i].Dir = p.env, root
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("shard pod %d: %v; want exit 0\n%s", i, err, outs[i].String())
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	merge := podOf(t, m, m.jobs["stampede-merge"], 0, override, root)
	cmd := exec.CommandContext(ctx, bin, merge.args...)
	cmd.Env, cmd.Dir = merge.env, root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("merge pod %q: %v; want exit 0 (the verdict passed)\n%s", merge.args, err, out)
	}
	checkMerged(t, bin, m, root, hits.Load(), n)
}

// writeProfile writes the ConfigMap's profile where its volume would
// have it, with its phases shortened from minutes to seconds.
func writeProfile(t *testing.T, m manifests, path string) {
	t.Helper()
	profile := m.configMap.Data["profile.yaml"]
	short := regexp.MustCompile(`duration: (\d+)m\b`).ReplaceAllString(profile, "duration: ${1}s")
	if short == profile {
		t.Fatalf("the ConfigMap's profile has no phase lasting minutes to shorten:\n%s", profile)
	}
	if err := os.WriteFile(path, []byte(short), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkMerged checks the merge Job's reports and, with a JSON report of
// the same files, that the merged run is every shard's and every request
// the server saw.
func checkMerged(t *testing.T, bin string, m manifests, root string, seen int64, n int) {
	t.Helper()
	runID := m.configMap.Data["run-id"]
	for _, name := range []string{runID + "-report.html", runID + "-junit.xml", runID + "-summary.md"} {
		if fi, err := os.Stat(filepath.Join(root, "results", name)); err != nil || fi.Size() == 0 {
			t.Errorf("the merge Job's report %s: %v; want it written", name, err)
		}
	}
	out, err := exec.Command(bin, "report", "--format", "json", filepath.Join(root, "results", runID+"-shard-*.bin")).Output()
	if err != nil {
		t.Fatalf("report --format json: %v", err)
	}
	var doc struct {
		Requests uint64   `json:"requests"`
		RunID    string   `json:"run_id"`
		Shards   []string `json:"shards"`
		Verdict  struct {
			Pass bool `json:"pass"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d shards, %d requests merged, %d seen by the server, run %s", len(doc.Shards), doc.Requests, seen, doc.RunID)
	if int64(doc.Requests) != seen || seen == 0 || len(doc.Shards) != n || doc.RunID != runID || !doc.Verdict.Pass {
		t.Errorf("merged: %d requests (server %d), shards %v, run %q, pass %v; want all the server saw, %d shards, run %q, a pass",
			doc.Requests, seen, doc.Shards, doc.RunID, doc.Verdict.Pass, n, runID)
	}
	for i := range n {
		if want := fmt.Sprintf("%d/%d", i, n); !strings.Contains(strings.Join(doc.Shards, " "), want) {
			t.Errorf("shards %v: want %s", doc.Shards, want)
		}
	}
}

// build builds the stampede binary, the image's entrypoint, into a
// temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "stampede")
	out, err := exec.Command("go", "build", "-trimpath", "-o", bin, "../../cmd/stampede").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
