// cpubound is the VM benchmark: a CPU-bound mix of a prime sieve, SHA-256 hashing,
// sorting and map updates, sized by its first argument (default 1).
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sort"
	"strconv"
)

func sieve(n int) int {
	composite := make([]bool, n+1)
	count := 0
	for i := 2; i <= n; i++ {
		if !composite[i] && i <= n/i {
			for j := i * i; j <= n; j += i {
				composite[j] = true
			}
		}
		if !composite[i] {
			count++
		}
	}
	return count
}

func main() {
	scale := 1
	if len(os.Args) > 1 {
		scale, _ = strconv.Atoi(os.Args[1])
	}
	primes := sieve(200000 * scale)
	h := sha256.Sum256([]byte("zkm"))
	for i := 0; i < 2000*scale; i++ {
		h = sha256.Sum256(h[:])
	}
	xs := make([]uint32, 50000*scale)
	x := uint32(1)
	for i := range xs {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		xs[i] = x
	}
	sort.Slice(xs, func(a, b int) bool { return xs[a] < xs[b] })
	m := map[uint32]int{}
	for i, v := range xs {
		m[v%4096] += i
	}
	fmt.Printf("scale %d: %d primes, sha %x, min %d max %d, buckets %d\n",
		scale, primes, h[:8], xs[0], xs[len(xs)-1], len(m))
}
