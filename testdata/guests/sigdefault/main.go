// sigdefault: the main goroutine, locked to the main thread, sends itself SIGTERM three
// times: ignored after signal.Ignore, received after signal.Notify, and after
// signal.Reset taken by Go's handler, which restores the default action and raises the
// signal again: the process ends with status 128 + 15.
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

func kill() {
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		fmt.Println("kill:", err)
		os.Exit(1)
	}
}

func main() {
	signal.Ignore(syscall.SIGTERM)
	kill()
	fmt.Println("ignored SIGTERM:", signal.Ignored(syscall.SIGTERM))
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	kill()
	fmt.Println("notified:", <-c)
	signal.Reset(syscall.SIGTERM)
	fmt.Println("reset SIGTERM: the next one ends the process")
	kill()
	fmt.Println("still running: the reset did not take")
}
