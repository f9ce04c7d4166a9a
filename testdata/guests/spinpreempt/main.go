// spinpreempt: a goroutine spins with no function calls while main sleeps. With one P,
// main runs again only if the runtime preempts the spinner asynchronously (SIGURG).
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
	time.Sleep(20 * time.Millisecond)
	fmt.Println("main ran again while a goroutine spins: it was preempted")
}
