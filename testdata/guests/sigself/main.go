// sigself: the main goroutine, locked to the main thread, sends itself SIGUSR1 with
// syscall.Kill (to the process) and SIGUSR2 with tgkill (to its own thread); os/signal
// receives each, delivered to Go's handler on the way back from the call. Linux gives a
// signal sent to the process to the main thread first, so both reach the sender.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

func init() {
	// An init function's LockOSThread keeps main on the main thread.
	runtime.LockOSThread()
}

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
		fmt.Println("kill:", err)
		os.Exit(1)
	}
	fmt.Println("received:", <-c)
	if err := syscall.Tgkill(syscall.Getpid(), syscall.Gettid(), syscall.SIGUSR2); err != nil {
		fmt.Println("tgkill:", err)
		os.Exit(1)
	}
	fmt.Println("received:", <-c)
	fmt.Println("main thread:", syscall.Gettid() == syscall.Getpid())
}
