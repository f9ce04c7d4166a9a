// hello prints with fmt and counts words with a map.
package main

import (
	"fmt"
	"sort"
	"strings"
)

const text = `the quick brown fox jumps over the lazy dog
the dog sleeps and the fox runs`

func main() {
	fmt.Println("Hello from Go on MIPS!")
	counts := map[string]int{}
	for _, w := range strings.Fields(text) {
		counts[w]++
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	for _, w := range words {
		fmt.Printf("%-6s %d\n", w, counts[w])
	}
	fmt.Printf("%d distinct words, %.3f average length, %x, %q\n", len(words), avgLen(words), 48879, "done")
}

func avgLen(words []string) float64 {
	total := 0
	for _, w := range words {
		total += len(w)
	}
	return float64(total) / float64(len(words))
}
