// workers counts primes in ranges with a pool of goroutines fed through channels.
package main

import (
	"fmt"
	"sort"
	"sync"
)

type job struct{ lo, hi int }
type result struct {
	job    job
	primes int
}

func isPrime(n int) bool {
	if n < 2 {
		return false
	}
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

func main() {
	jobs := make(chan job)
	results := make(chan result, 4)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				n := 0
				for i := j.lo; i < j.hi; i++ {
					if isPrime(i) {
						n++
					}
				}
				results <- result{j, n}
			}
		}()
	}
	go func() {
		for lo := 0; lo < 20000; lo += 2000 {
			jobs <- job{lo, lo + 2000}
		}
		close(jobs)
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	var all []result
	for r := range results {
		all = append(all, r)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].job.lo < all[j].job.lo })
	total := 0
	for _, r := range all {
		fmt.Printf("[%5d, %5d): %d primes\n", r.job.lo, r.job.hi, r.primes)
		total += r.primes
	}
	fmt.Printf("total %d primes below 20000 from %d jobs\n", total, len(all))
}
