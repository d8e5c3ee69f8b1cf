package nnlib

import (
	"runtime"
	"sync"
)

// parallelFor splits [0, n) into contiguous ranges and runs fn on them
// from up to GOMAXPROCS goroutines, when the work (n·cost, roughly in
// element operations) is large enough to pay for it. Kernels use it for
// their element-wise loops, which gorgonia would run on one core
// (pitfall P17); BLAS calls are never running at the same time.
func parallelFor(n, cost int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	if workers <= 1 || n*cost < 1<<15 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	fn(0, min(chunk, n))
	wg.Wait()
}
