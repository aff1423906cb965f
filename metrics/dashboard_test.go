package metrics

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
)

// dashboard is the Grafana dashboard of deploy/grafana.
var dashboard = filepath.Join("..", "deploy", "grafana", "stampede.json")

// promqlWords are the PromQL functions, aggregations and keywords, and
// the Grafana query functions, a dashboard's queries may use.
var promqlWords = map[string]bool{
	"sum": true, "avg": true, "min": true, "max": true, "count": true, "topk": true, "bottomk": true, "quantile": true,
	"stddev": true, "group": true, "by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
	"group_right": true, "and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"rate": true, "irate": true, "increase": true, "delta": true, "deriv": true, "histogram_quantile": true,
	"label_replace": true, "label_join": true, "clamp_min": true, "clamp_max": true, "abs": true, "vector": true,
	"scalar": true, "time": true, "timestamp": true, "max_over_time": true, "min_over_time": true, "avg_over_time": true,
	"sort": true, "sort_desc": true, "absent": true, "label_values": true, "inf": true, "nan": true,
}

// queries returns every PromQL query of a Grafana dashboard: the exprs
// of its panels' targets and the queries of its template variables.
func queries(v any, key string, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			queries(x, k, out)
		}
	case []any:
		for _, x := range v {
			queries(x, key, out)
		}
	case string:
		if key == "expr" || key == "query" && strings.Contains(v, "(") {
			*out = append(*out, v)
		}
	}
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	grafanaVar   = regexp.MustCompile(`\$\{[^}]*\}|\$\w+|\[\[\w+\]\]`)
	rangeVector  = regexp.MustCompile(`\[[^\]]*\]`)
	matchers     = regexp.MustCompile(`\{([^}]*)\}`)
	matcherLabel = regexp.MustCompile(`(\w+)\s*(?:=~|!~|!=|=)`)
	grouping     = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	labelValues  = regexp.MustCompile(`label_values\((.*),\s*(\w+)\s*\)$`)
	identifier   = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	// labelReplace finds label_replace's arguments after its vector: the
	// label made, its replacement, the label read and its regex.
	labelReplace = regexp.MustCompile(`,\s*"(\w+)",\s*"[^"]*",\s*"(\w+)",\s*"[^"]*"\s*\)`)
)

// checkQuery returns the problems of a PromQL query: identifiers that are
// neither PromQL's nor a series the metrics expose, labels they do not
// have, or no stampede series at all. series and labels are what a
// scrape has.
func checkQuery(q string, series, labels map[string]bool) []string {
	var bad []string
	var made map[string]bool
	label := func(name string) {
		if !labels[name] && !made[name] {
			bad = append(bad, fmt.Sprintf("%s: label %q is on no series", q, name))
		}
	}
	made = map[string]bool{} // the labels label_replace makes
	for _, m := range labelReplace.FindAllStringSubmatch(q, -1) {
		made[m[1]] = true
		label(m[2])
	}
	s := promString.ReplaceAllString(q, `""`)
	s = grafanaVar.ReplaceAllString(s, "")
	if m := labelValues.FindStringSubmatch(s); m != nil {
		label(m[2])
		s = "label_values(" + m[1] + ")"
	}
	s = rangeVector.ReplaceAllString(s, "")
	for _, m := range matchers.FindAllStringSubmatch(s, -1) {
		for _, l := range matcherLabel.FindAllStringSubmatch(m[1], -1) {
			label(l[1])
		}
	}
	s = matchers.ReplaceAllString(s, "")
	for _, m := range grouping.FindAllStringSubmatch(s, -1) {
		for l := range strings.SplitSeq(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" {
				label(l)
			}
		}
	}
	s = grouping.ReplaceAllString(s, "")
	found := false
	for _, id := range identifier.FindAllString(s, -1) {
		switch {
		case series[id]:
			found = true
		case !promqlWords[id]:
			bad = append(bad, fmt.Sprintf("%s: %q is no series of the metrics nor PromQL", q, id))
		}
	}
	if !found {
		bad = append(bad, q+": queries no stampede series")
	}
	return bad
}

// exposed returns the series names and label names a scrape of a run of
// every kind of record has: a histogram's series are its _bucket, _sum
// and _count.
func exposed(t *testing.T) (series, labels map[string]bool) {
	t.Helper()
	m := New(Options{})
	c := contract.New(contract.Options{})
	src := end(stream(), c)
	if _, err := analyze.Consume(t.Context(), &src, m.Sink(c)); err != nil {
		t.Fatal(err)
	}
	series, labels = map[string]bool{}, map[string]bool{}
	for name, f := range gather(t, m) {
		if f.GetType() == dto.MetricType_HISTOGRAM {
			series[name+"_bucket"], series[name+"_sum"], series[name+"_count"] = true, true, true
			labels["le"] = true
		} else {
			series[name] = true
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = true
			}
		}
	}
	return series, labels
}

// TestDashboardQueriesExist checks that the Grafana dashboard parses and
// that every query in it asks for series and labels the metrics expose,
// so that renaming a metric cannot leave the dashboard silently empty.
func TestDashboardQueriesExist(t *testing.T) {
	raw, err := os.ReadFile(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", dashboard, err)
	}
	var qs []string
	queries(doc, "", &qs)
	if len(qs) < 20 {
		t.Fatalf("%s: %d queries found; the walk is broken", dashboard, len(qs))
	}
	series, labels := exposed(t)
	used := map[string]bool{}
	for _, q := range qs {
		for _, problem := range checkQuery(q, series, labels) {
			t.Error(problem)
		}
		for _, id := range identifier.FindAllString(q, -1) {
			used[id] = true
		}
	}
	for _, name := range []string{RequestsTotal, RequestDuration + "_bucket", SendDelay + "_bucket", RetriesTotal, ViolationsTotal, LogicalRequestsTotal} {
		if !used[name] {
			t.Errorf("%s: no panel shows %s", dashboard, name)
		}
	}
	for _, v := range []string{"run_id", "shard"} {
		if !strings.Contains(string(raw), `"name": "`+v+`"`) {
			t.Errorf("%s: no template variable %s", dashboard, v)
		}
	}
}

// TestCheckQueryFails shows that the check above catches a misspelled
// metric, a label no series has and a query of nothing of ours.
func TestCheckQueryFails(t *testing.T) {
	series, labels := exposed(t)
	for _, q := range []string{
		`sum(rate(stampede_request_total{run_id=~"$run_id"}[5m]))`,
		`sum by (status_family) (rate(stampede_requests_total[5m]))`,
		`sum(rate(stampede_requests_total{rn_id="x"}[5m]))`,
		`histogram_quantile(0.99, sum by (le) (rate(stampede_request_duration_seconds[5m])))`,
		`label_values(stampede_requests_total, shards)`,
		`sum by (family) (label_replace(rate(stampede_requests_total[5m]), "family", "$1", "stauts", "(.)"))`,
		`up`,
	} {
		if bad := checkQuery(q, series, labels); len(bad) == 0 {
			t.Errorf("checkQuery(%s) found nothing wrong", q)
		}
	}
	if bad := checkQuery(`sum by (le) (rate(stampede_send_delay_seconds_bucket{shard=~"$shard"}[$__rate_interval]))`, series, labels); len(bad) > 0 {
		t.Errorf("a good query: %q", bad)
	}
	if !labels["run_id"] || !labels["shard"] {
		t.Errorf("labels %v lack run_id", labels)
	}
}
