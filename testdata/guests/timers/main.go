// timers exercises time.Sleep, tickers, time.After in select, AfterFunc and
// context deadlines; the output does not depend on how fast the machine is.
package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

func main() {
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	fmt.Println("slept at least 20ms:", time.Since(start) >= 20*time.Millisecond)

	never := make(chan int)
	select {
	case v := <-never:
		fmt.Println("impossible", v)
	case <-time.After(15 * time.Millisecond):
		fmt.Println("select timed out")
	}

	t := time.NewTicker(5 * time.Millisecond)
	n := 0
	for range t.C {
		n++
		if n == 4 {
			break
		}
	}
	t.Stop()
	fmt.Println("ticks", n)

	var wg sync.WaitGroup
	wg.Add(1)
	fired := false
	time.AfterFunc(10*time.Millisecond, func() { fired = true; wg.Done() })
	wg.Wait()
	fmt.Println("afterfunc fired:", fired)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	<-ctx.Done()
	fmt.Println("context:", ctx.Err())

	timer := time.NewTimer(time.Hour)
	fmt.Println("stopped long timer:", timer.Stop())

	done := make(chan struct{})
	go func() {
		time.Sleep(5 * time.Millisecond)
		close(done)
	}()
	select {
	case <-done:
		fmt.Println("goroutine finished first")
	case <-time.After(2 * time.Second):
		fmt.Println("timeout")
	}
}
