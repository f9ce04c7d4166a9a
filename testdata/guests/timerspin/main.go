// timerspin: every goroutine but main spins with no function calls while main waits for
// a timer and a ticker; they fire only if the spinners are preempted.
package main

import (
	"fmt"
	"runtime"
	"time"
)

var counters [3]uint64

func spin(i int) {
	for {
		counters[i]++
	}
}

func main() {
	runtime.GOMAXPROCS(1)
	for i := range counters {
		go spin(i)
	}
	timer := time.NewTimer(15 * time.Millisecond)
	<-timer.C
	fmt.Println("timer fired while 3 goroutines spin")
	tick := time.NewTicker(5 * time.Millisecond)
	for i := 1; i <= 3; i++ {
		<-tick.C
		fmt.Println("tick", i)
	}
	tick.Stop()
}
