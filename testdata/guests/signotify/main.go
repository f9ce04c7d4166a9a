// signotify: signal.Notify for SIGUSR1 and SIGWINCH, each sent to self with syscall.Kill
// and received on the channel.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	for _, s := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGWINCH, syscall.SIGUSR2} {
		signal.Notify(c, s)
		if err := syscall.Kill(syscall.Getpid(), s); err != nil {
			fmt.Println("kill:", err)
			os.Exit(1)
		}
		fmt.Println("received:", <-c)
		signal.Stop(c)
	}
}
