// sigignore: signal.Ignore, then signal.Notify, then signal.Reset of SIGTERM, each tried
// with a SIGTERM sent to self; after the reset the signal's default action ends the
// process with status 128 + 15.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func kill() {
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		fmt.Println("kill:", err)
		os.Exit(1)
	}
}

func main() {
	signal.Ignore(syscall.SIGTERM)
	kill()
	time.Sleep(5 * time.Millisecond)
	fmt.Println("ignored SIGTERM:", signal.Ignored(syscall.SIGTERM))
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	kill()
	fmt.Println("notified:", <-c)
	signal.Reset(syscall.SIGTERM)
	fmt.Println("reset SIGTERM: the next one ends the process")
	kill()
	time.Sleep(time.Second)
	fmt.Println("still running: the reset did not take")
}
