package classify

import "testing"

// BenchmarkClassifyErrorBodies classifies the seed documents' small error
// bodies, round robin, on one goroutine: the cost the consume loop pays
// per error response. Goal: at least 1,000,000 bodies/s on one core.
func BenchmarkClassifyErrorBodies(b *testing.B) {
	var resps []*Response
	for _, tc := range seedCases {
		if tc.status >= 400 && len(tc.body) < 512 {
			resps = append(resps, &Response{Status: tc.status, ContentType: tc.contentType, Body: []byte(tc.body), BodyLen: uint64(len(tc.body))})
		}
	}
	c := mustClassifier(b, Options{})
	for _, r := range resps {
		c.Classify(r) // classes exist before timing: a run meets each class once
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.Classify(resps[i%len(resps)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bodies/s")
}

// BenchmarkClassifySuccess classifies 200s without a body rule.
func BenchmarkClassifySuccess(b *testing.B) {
	c := mustClassifier(b, Options{})
	r := &Response{Status: 200, BodyLen: 1024, Method: "GET", URL: "http://127.0.0.1/x"}
	b.ReportAllocs()
	for b.Loop() {
		c.Classify(r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "responses/s")
}
