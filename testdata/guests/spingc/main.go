// spingc: runtime.GC stops the world while a goroutine spins with no function calls; with
// one P the stop succeeds only if the spinner is preempted asynchronously.
package main

import (
	"fmt"
	"runtime"
	"time"
)

var x uint64

func spin() {
	for {
		x++
	}
}

func main() {
	runtime.GOMAXPROCS(1)
	go spin()
	time.Sleep(time.Millisecond) // the spinner now owns the P
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	garbage := make([][]byte, 0, 64)
	for i := 0; i < 3; i++ {
		for j := 0; j < 64; j++ {
			garbage = append(garbage, make([]byte, 4096))
		}
		garbage = garbage[:0]
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	fmt.Println("forced GC cycles while a goroutine spins:", after.NumGC-before.NumGC >= 3)
}
