// sigmask: a thread blocks SIGUSR1 with rt_sigprocmask, the signal is sent to that thread
// and stays pending, then the thread unblocks it and it is delivered.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

const sigBlock, sigUnblock = 1, 2

func mask(how uintptr, sig syscall.Signal) {
	var set [4]uint32 // o32 sigset_t: 128 bits, big-endian words
	set[(sig-1)/32] = 1 << ((sig - 1) % 32)
	_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, how, uintptr(unsafe.Pointer(&set)), 0, 16, 0, 0)
	if e != 0 {
		fmt.Println("rt_sigprocmask:", e)
		os.Exit(1)
	}
}

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	runtime.LockOSThread()
	mask(sigBlock, syscall.SIGUSR1)
	if err := syscall.Tgkill(syscall.Getpid(), syscall.Gettid(), syscall.SIGUSR1); err != nil {
		fmt.Println("tgkill:", err)
		os.Exit(1)
	}
	select {
	case s := <-c:
		fmt.Println("received while blocked:", s)
	case <-time.After(20 * time.Millisecond):
		fmt.Println("blocked: still pending after 20ms")
	}
	mask(sigUnblock, syscall.SIGUSR1)
	fmt.Println("unblocked, received:", <-c)
}
