// gcstress allocates many short-lived trees, forces collections with runtime.GC and
// checks with runtime.ReadMemStats that the collector ran.
package main

import (
	"fmt"
	"runtime"
)

type node struct {
	left, right *node
	val         int
	pad         []byte
}

func build(depth, v int) *node {
	if depth == 0 {
		return &node{val: v, pad: make([]byte, 64)}
	}
	return &node{left: build(depth-1, 2*v), right: build(depth-1, 2*v+1), val: v}
}

func (n *node) sum() int {
	if n == nil {
		return 0
	}
	return n.val + n.left.sum() + n.right.sum()
}

func main() {
	keep := make([]*node, 0, 8)
	total := 0
	for i := 0; i < 40; i++ {
		t := build(10, i)
		total += t.sum()
		if i%5 == 0 {
			keep = append(keep, t)
		}
		if i%10 == 9 {
			runtime.GC()
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("total", total, "kept", len(keep), keep[3].sum())
	fmt.Println("NumGC > 0:", ms.NumGC > 0, "forced >= 4:", ms.NumForcedGC >= 4)
	fmt.Println("heap objects > 0:", ms.HeapObjects > 0, "mallocs > frees:", ms.Mallocs > ms.Frees)
	m := map[int]string{}
	for i := 0; i < 5000; i++ {
		m[i] = fmt.Sprint(i * i)
	}
	for i := 0; i < 5000; i += 2 {
		delete(m, i)
	}
	runtime.GC()
	fmt.Println("map", len(m), m[4999])
}
