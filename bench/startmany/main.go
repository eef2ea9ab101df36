// Command startmany starts N containers, P at a time, through the Engine
// API (create, then start, as `docker run -d` does) and prints the elapsed
// milliseconds. bench/runtime.sh runs it against Berth and Docker alike, so
// that the two engines are compared without either CLI's process start-up.
//
//	go run ./bench/startmany -H unix:///run/berth-bench/berth.sock -n 50 -p 8 bench sleep 1000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func main() {
	host := flag.String("H", "", "engine socket (unix:///…)")
	n := flag.Int("n", 50, "containers to start")
	p := flag.Int("p", 8, "starts in flight at once")
	flag.Parse()
	if *host == "" || flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: startmany -H host [-n N] [-p P] image [cmd...]")
		os.Exit(2)
	}
	api, err := client.New(client.WithHost(*host), client.WithAPIVersionNegotiation())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer api.Close()
	ctx := context.Background()
	if _, err := api.Ping(ctx, client.PingOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg := &ctr.Config{Image: flag.Arg(0), Cmd: flag.Args()[1:]}
	jobs := make(chan int)
	errs := make(chan error, *n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range *p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				res, err := api.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: &ctr.HostConfig{}})
				if err == nil {
					_, err = api.ContainerStart(ctx, res.ID, client.ContainerStartOptions{})
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range *n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(t0)
	close(errs)
	for err := range errs {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(elapsed.Nanoseconds())
}
