// threadexit ends an OS thread: a goroutine that locks its thread and returns without
// unlocking it takes the thread with it (the runtime's exitThread, Linux's exit), while
// the process goes on. The main goroutine stays on the main thread, so the one that
// exits is another.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func init() { runtime.LockOSThread() }

func main() {
	done := make(chan int)
	for i := 0; i < 2; i++ {
		go func(i int) {
			runtime.LockOSThread()
			done <- i * i
		}(i + 2)
	}
	sum := <-done + <-done
	pub := os.NewFile(3, "public")
	fmt.Fprintf(pub, "sum %d\n", sum)
	fmt.Println("two locked goroutines returned; their threads exited")
}
