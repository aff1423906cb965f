// Command benchtarget is a minimal local HTTP target for benchmarks and
// manual runs: it answers every request with a small body, optionally after
// a delay, and prints its address on stdout. It listens on loopback only.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	delay := flag.Duration("delay", 0, "delay before each answer")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("benchtarget: -addr %q must be a loopback address such as 127.0.0.1:0", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("benchtarget: %v", err)
	}
	fmt.Fprintf(os.Stdout, "http://%s/\n", ln.Addr())
	body := []byte(`{"ok":true}`)
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if *delay > 0 {
			time.Sleep(*delay)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})))
}
