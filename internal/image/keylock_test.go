package image

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestKeyLockExcludesSameKey(t *testing.T) {
	var k keyLock
	ctx := context.Background()
	var inside [2]atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			key := []string{"a", "b"}[i%2]
			unlock, err := k.lock(ctx, key)
			if err != nil {
				t.Error(err)
				return
			}
			if n := inside[i%2].Add(1); n != 1 {
				t.Errorf("%d holders of %q", n, key)
			}
			time.Sleep(time.Millisecond)
			inside[i%2].Add(-1)
			unlock()
		})
	}
	wg.Wait()
	if n := k.size(); n != 0 {
		t.Errorf("%d keys left", n)
	}
}

func TestKeyLock(t *testing.T) {
	tests := []struct {
		name    string
		other   string // key held while locking "k"
		wantErr error
	}{
		{"free key", "", nil},
		{"other key held", "j", nil},
		{"same key held, context ends", "k", context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k keyLock
			if tt.other != "" {
				unlock, err := k.lock(context.Background(), tt.other)
				if err != nil {
					t.Fatal(err)
				}
				defer unlock()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			unlock, err := k.lock(ctx, "k")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("lock: %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				unlock()
			}
			want := 0
			if tt.other != "" {
				want = 1
			}
			if n := k.size(); n != want {
				t.Errorf("%d keys held, want %d", n, want)
			}
		})
	}
}

func TestKeyLockWaiterGetsLock(t *testing.T) {
	var k keyLock
	ctx := context.Background()
	unlock, _ := k.lock(ctx, "k")
	got := make(chan struct{})
	go func() {
		u, err := k.lock(ctx, "k")
		if err == nil {
			u()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("second holder got a held lock")
	case <-time.After(20 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("waiter never got the released lock")
	}
}
