// runtimefeatures exercises runtime services beyond goroutines: LockOSThread (which
// makes the runtime start more OS threads), finalizers, debug.FreeOSMemory (madvise),
// sync.Pool, Gosched, runtime.Callers and a deadlock-free select loop.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// resource is big enough (and holds a pointer) to stay out of the tiny allocator, whose
// shared blocks can keep a finalizer from ever running.
type resource struct {
	id   int
	name *string
	pad  [48]byte
}

func main() {
	var wg sync.WaitGroup
	results := make([]int, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			s := 0
			for k := 0; k < 10000*(i+1); k++ {
				s += k % 7
				if k%1000 == 0 {
					runtime.Gosched()
				}
			}
			results[i] = s
		}(i)
	}
	wg.Wait()
	fmt.Println("locked workers:", results)

	finalized := make(chan int, 10)
	for i := 0; i < 10; i++ {
		r := &resource{id: i}
		runtime.SetFinalizer(r, func(r *resource) { finalized <- r.id })
	}
	count := 0
	deadline := time.After(5 * time.Second)
loop:
	for count < 10 {
		runtime.GC()
		select {
		case <-finalized:
			count++
		case <-deadline:
			break loop
		case <-time.After(time.Millisecond):
		}
	}
	fmt.Println("finalizers run:", count)

	big := make([][]byte, 0)
	for i := 0; i < 64; i++ {
		big = append(big, make([]byte, 64<<10))
	}
	big = nil
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("released memory:", ms.HeapReleased > 0)

	pool := sync.Pool{New: func() any { return new(strings.Builder) }}
	b := pool.Get().(*strings.Builder)
	b.WriteString("pooled")
	fmt.Println(b.String())
	pool.Put(b)

	pcs := make([]uintptr, 8)
	n := runtime.Callers(1, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	f, _ := frames.Next()
	fmt.Println("caller:", f.Function)
	fmt.Println("goroutines:", runtime.NumGoroutine())
}
