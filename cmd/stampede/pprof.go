package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// Profiling stampede itself (docs/performance.md): environment variables
// rather than flags, since they profile the tool, not the target.
const (
	// cpuProfileEnv names a file to write a CPU profile of the whole
	// process to.
	cpuProfileEnv = "STAMPEDE_CPUPROFILE"
	// heapProfileEnv names a file to write the heap profile to, taken at
	// the largest live heap seen (as the collector last marked it, checked
	// every heapCheckEvery): what the memory at the peak of a run is made
	// of.
	heapProfileEnv = "STAMPEDE_HEAPPROFILE"
)

// heapCheckEvery is how often the heap is measured for STAMPEDE_HEAPPROFILE.
const heapCheckEvery = 250 * time.Millisecond

// startProfiles starts the profiles the environment asks for and returns
// the function that finishes them. Problems are reported on stderr and
// never stop the run.
func startProfiles(stderr io.Writer, getenv func(string) string) (stop func()) {
	var stops []func()
	if path := getenv(cpuProfileEnv); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "stampede: %s: %v\n", cpuProfileEnv, err)
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	if path := getenv(heapProfileEnv); path != "" {
		done := make(chan struct{})
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			watchHeap(stderr, path, done)
		}()
		stops = append(stops, func() { close(done); <-finished })
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

// watchHeap writes the heap profile to path whenever the live heap is
// larger than ever before, until done.
func watchHeap(stderr io.Writer, path string, done <-chan struct{}) {
	// The live heap as the last collection marked it, not the heap with
	// its garbage: the profile is of what the run holds.
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var peak uint64
	tick := time.NewTicker(heapCheckEvery)
	defer tick.Stop()
	for {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak {
			peak = v
			if err := writeHeapProfile(path); err != nil {
				fmt.Fprintf(stderr, "stampede: %s: %v\n", heapProfileEnv, err)
				return
			}
		}
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// writeHeapProfile writes the heap profile (live objects at the last
// collection) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the profile is of the last collection: make it now
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
