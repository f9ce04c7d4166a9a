// scavenge hands freed heap memory back to the kernel with debug.FreeOSMemory, which makes
// the runtime's scavenger call madvise(MADV_DONTNEED) on the free pages, then allocates
// again over them: every new word reads zero. It prints the checksums and the count of
// non-zero words found (0) to the public output.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
)

const (
	bufs, words = 2, 16 << 10 // 2 buffers of 64 KiB: large objects, each its own span
	stride      = 16          // one word in 16 written and summed
)

func fill(seed uint32) [][]uint32 {
	b := make([][]uint32, bufs)
	for i := range b {
		b[i] = make([]uint32, words)
		for j := 0; j < words; j += stride {
			b[i][j] = seed*uint32(i+1) + uint32(j)*2654435761
		}
	}
	return b
}

func sum(b [][]uint32) uint32 {
	var s uint32
	for _, x := range b {
		for j := 0; j < words; j += stride {
			s = s*31 + x[j]
		}
	}
	return s
}

func main() {
	a := fill(7)
	before := sum(a)
	a = nil
	debug.FreeOSMemory()
	b := make([][]uint32, bufs)
	nonzero := 0
	for i := range b {
		b[i] = make([]uint32, words)
		for _, v := range b[i] {
			if v != 0 {
				nonzero++
			}
		}
	}
	for i := range b {
		for j := 0; j < words; j += stride {
			b[i][j] = uint32(j) ^ uint32(i)
		}
	}
	after := sum(b)
	fmt.Printf("freed %d KiB, reallocated %d KiB\n", bufs*words*4>>10, bufs*words*4>>10)
	pub := os.NewFile(3, "public")
	fmt.Fprintf(pub, "before %08x after %08x nonzero %d\n", before, after, nonzero)
}
