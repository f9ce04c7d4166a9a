// workerpool fans jobs out to goroutines over channels and gathers the results, with a
// mutex, atomics, sync.Once and a buffered semaphore.
package main

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
)

func work(n int) [32]byte {
	h := sha256.Sum256([]byte(fmt.Sprint(n)))
	for i := 0; i < n%50; i++ {
		h = sha256.Sum256(h[:])
	}
	return h
}

func main() {
	jobs := make(chan int)
	results := make(chan [2]int, 16)
	var wg sync.WaitGroup
	var mu sync.Mutex
	perWorker := map[int]int{}
	var processed atomic.Int64
	var once sync.Once
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for j := range jobs {
				h := work(j)
				once.Do(func() { fmt.Println("first result computed") })
				processed.Add(1)
				mu.Lock()
				perWorker[id]++
				mu.Unlock()
				results <- [2]int{j, int(h[0])}
			}
		}(w)
	}
	go func() {
		for i := 0; i < 300; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	go func() { wg.Wait(); close(results) }()
	var got [][2]int
	for r := range results {
		got = append(got, r)
	}
	sort.Slice(got, func(a, b int) bool { return got[a][0] < got[b][0] })
	sum := 0
	for _, r := range got {
		sum += r[1]
	}
	total := 0
	for _, c := range perWorker {
		total += c
	}
	fmt.Println("results", len(got), "checksum", sum, "processed", processed.Load(), "counted", total)
	fmt.Println("first", got[0], "last", got[len(got)-1])
}
