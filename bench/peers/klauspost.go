// The klauspost/reedsolomon side of `npm run bench erasure`: encodes the parity of the shapes
// given as arguments ("k/n:shardBytes:totalBytes") on one goroutine and prints one line per
// shape, "k/n wallMB/s cpuMB/s", where MB/s counts data bytes (k × shard) per second of wall
// time and per second of the process's CPU time (user + system), each the best of three rounds
// after a warm-up, like the TypeScript side. Built by bench/erasure-peers.ts in GOPATH mode
// against Debian's golang-github-klauspost-reedsolomon-dev.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/reedsolomon"
)

func main() {
	// One thread, as the JavaScript kernel has: the comparison is per core.
	runtime.GOMAXPROCS(1)
	for _, arg := range os.Args[1:] {
		var k, n, shard, total int
		if _, err := fmt.Sscanf(strings.ReplaceAll(arg, ":", " "), "%d/%d %d %d", &k, &n, &shard, &total); err != nil {
			fmt.Fprintf(os.Stderr, "bad shape %q: %v\n", arg, err)
			os.Exit(2)
		}
		enc, err := reedsolomon.New(k, n-k, reedsolomon.WithMaxGoroutines(1))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", arg, err)
			os.Exit(2)
		}
		shards := make([][]byte, n)
		x := uint32(0x9e3779b9)
		for i := range shards {
			shards[i] = make([]byte, shard)
			if i < k {
				for j := range shards[i] {
					x ^= x << 13
					x ^= x >> 17
					x ^= x << 5
					shards[i][j] = byte(x)
				}
			}
		}
		calls := total / (k * shard)
		if calls < 1 {
			calls = 1
		}
		best, bestCPU := 0.0, 0.0
		for round := 0; round < 4; round++ {
			startCPU := cpuSeconds()
			start := time.Now()
			for c := 0; c < calls; c++ {
				if err := enc.Encode(shards); err != nil {
					fmt.Fprintf(os.Stderr, "%s: %v\n", arg, err)
					os.Exit(1)
				}
			}
			seconds := time.Since(start).Seconds()
			cpu := cpuSeconds() - startCPU
			if round > 0 {
				if mbps := float64(calls*k*shard) / seconds / 1e6; mbps > best {
					best = mbps
				}
				if mbps := float64(calls*k*shard) / cpu / 1e6; mbps > bestCPU {
					bestCPU = mbps
				}
			}
		}
		fmt.Println(strconv.Itoa(k)+"/"+strconv.Itoa(n), strconv.FormatFloat(best, 'f', 1, 64), strconv.FormatFloat(bestCPU, 'f', 1, 64))
	}
}

// cpuSeconds is the process's user + system CPU time so far.
func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano()).Seconds()
}
