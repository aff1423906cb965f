package analyze

import (
	"cmp"
	"slices"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/records"
)

// OtherRequests names the entry of a summary's per-request breakdown that
// counts the records of the requests beyond its bound on names
// (records.MaxRequests, the first names seen keep their own entry), and
// those of requests whose name their stream did not give (a name frame
// dropped or damaged in a result file). A request actually named so is
// counted in the same entry.
const OtherRequests = "(other requests)"

// RequestStats aggregates the records of one request: a profile's request,
// or "METHOD /path" for --url and targets files. Records without a name
// (files of format 1 to 3, vegeta results without a URL) are in no
// RequestStats: the counts of a summary's requests may add up to less than
// its Requests.
type RequestStats struct {
	Name      string
	Count     uint64                       // attempts of the request
	Successes uint64                       // those with a 2xx or 3xx response
	Status    map[uint16]uint64            // HTTP status → attempts (0: no response)
	Classes   map[uint32]uint64            // class ID of the summary's Classes → attempts
	Transport map[records.ErrorKind]uint64 // transport failure kind → attempts
	Latency   *hdrhistogram.Histogram      // corrected latency, as Summary.Latency
}

// newRequestStats returns the empty aggregate of a request.
func newRequestStats(name string) *RequestStats {
	return &RequestStats{
		Name: name, Status: map[uint16]uint64{}, Classes: map[uint32]uint64{},
		Transport: map[records.ErrorKind]uint64{}, Latency: NewLatencyHistogram(),
	}
}

// SuccessRatio is successes / count, 0 when there were none.
func (r *RequestStats) SuccessRatio() float64 {
	if r.Count == 0 {
		return 0
	}
	return float64(r.Successes) / float64(r.Count)
}

// add folds a record of class class (an ID of the summary's table) in.
func (r *RequestStats) add(rec *records.Record, class uint32) {
	r.Count++
	if rec.Success() {
		r.Successes++
	}
	r.Status[rec.Status]++
	r.Classes[class]++
	if rec.ErrorKind != records.ErrNone {
		r.Transport[rec.ErrorKind]++
	}
	RecordLatency(r.Latency, rec.Latency)
}

// ImportRequest adds a request name, given by a stream (a result file's
// name frame, a live attempt), to the summary's table, and returns its ID
// there: records are added with Request set to it. "" is no name: 0. Once
// the table holds records.MaxRequests names, further names get the ID of
// the OtherRequests entry.
func (s *Summary) ImportRequest(name string) uint32 {
	if name == "" {
		return 0
	}
	if id, ok := s.requestIDs[name]; ok {
		return id
	}
	if len(s.requests) >= records.MaxRequests && name != OtherRequests {
		return s.ImportRequest(OtherRequests) // the one entry beyond the bound
	}
	s.requests = append(s.requests, newRequestStats(name))
	id := uint32(len(s.requests))
	s.requestIDs[name] = id
	return id
}

// addToRequest counts a record of class class in its request's entry. A
// Request beyond the table (not an ID of ImportRequest) counts in
// OtherRequests.
func (s *Summary) addToRequest(r *records.Record, class uint32) {
	i := int(r.Request) - 1
	if i >= len(s.requests) {
		i = int(s.ImportRequest(OtherRequests)) - 1
	}
	s.requests[i].add(r, class)
}

// mergeRequests adds other's per-request aggregates into s, matching
// requests by name; classes maps other's class IDs to those of s.
func (s *Summary) mergeRequests(other *Summary, classes map[uint32]uint32) {
	for _, o := range other.requests {
		if o.Count == 0 {
			continue
		}
		st := s.requests[s.ImportRequest(o.Name)-1]
		st.Count += o.Count
		st.Successes += o.Successes
		for k, v := range o.Status {
			st.Status[k] += v
		}
		for k, v := range o.Classes {
			st.Classes[classes[k]] += v
		}
		for k, v := range o.Transport {
			st.Transport[k] += v
		}
		st.Latency.Merge(o.Latency)
	}
}

// RequestStats returns the aggregates of the named requests seen, by count
// (descending), then by name; none for a run whose records have no names.
func (s *Summary) RequestStats() []*RequestStats {
	out := make([]*RequestStats, 0, len(s.requests))
	for _, st := range s.requests {
		if st.Count > 0 {
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(a, b *RequestStats) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// Request returns the aggregate of the request with the given name, nil if
// the summary has none of it.
func (s *Summary) Request(name string) *RequestStats {
	id, ok := s.requestIDs[name]
	if !ok || s.requests[id-1].Count == 0 {
		return nil
	}
	return s.requests[id-1]
}

// requestNames gives the names of a stream's requests their ids in the
// stream, as a result file keeps them: 1.. in order of first use, at most
// records.MaxRequests of them; further names share the id after them,
// which no name frame gives, so that they count as OtherRequests.
type requestNames struct {
	ids map[string]uint32
}

// overflowRequest is the stream id of the names beyond the bound.
const overflowRequest = records.MaxRequests + 1

// id returns the stream id of name, cut as a result file keeps it (0 for
// ""), and the name so cut when it is new: its record's event must then
// give it; "" otherwise.
func (n *requestNames) id(name string) (id uint32, isNew string) {
	if name == "" {
		return 0, ""
	}
	name = records.CutString(name, records.MaxRequestNameLen)
	if id, ok := n.ids[name]; ok {
		return id, ""
	}
	if n.ids == nil {
		n.ids = map[string]uint32{}
	}
	if len(n.ids) >= records.MaxRequests {
		return overflowRequest, ""
	}
	id = uint32(len(n.ids) + 1)
	name = strings.Clone(name) // it may alias a buffer
	n.ids[name] = id
	return id, name
}

// pathName names a request of a vegeta file as a live run names it
// (records.PathName); "" without a method or a URL.
func pathName(method, rawURL string) string {
	if method == "" || rawURL == "" {
		return ""
	}
	return records.PathName(method, records.URLPath(rawURL))
}
