// iostress reads a large private input line by line, writes a lot to stdout and stderr,
// inspects stdin with Stat and commits a digest of the input to the public output.
package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	st, err := os.Stdin.Stat()
	if err != nil {
		fmt.Println("stat error:", err)
	} else {
		fmt.Println("stdin regular:", st.Mode().IsRegular(), "size:", st.Size())
	}
	h := sha256.New()
	sc := bufio.NewScanner(os.Stdin)
	words := map[string]int{}
	lines := 0
	for sc.Scan() {
		line := sc.Text()
		h.Write([]byte(line))
		lines++
		for _, w := range strings.Fields(line) {
			words[w]++
		}
	}
	type kv struct {
		k string
		v int
	}
	var top []kv
	for k, v := range words {
		top = append(top, kv{k, v})
	}
	sort.Slice(top, func(a, b int) bool {
		if top[a].v != top[b].v {
			return top[a].v > top[b].v
		}
		return top[a].k < top[b].k
	})
	fmt.Println("lines:", lines, "distinct words:", len(words))
	for _, e := range top[:5] {
		fmt.Printf("%-8s %d\n", e.k, e.v)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(w, "row %04d %s\n", i, strings.Repeat("x", i%50))
		if i%1000 == 999 {
			w.Flush()
			fmt.Fprintf(os.Stderr, "progress %d\n", i+1)
		}
	}
	w.Flush()
	sum := h.Sum(nil)
	pub := os.NewFile(3, "public")
	pub.Write(sum)
	fmt.Printf("digest %x\n", sum)
}
