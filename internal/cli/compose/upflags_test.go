package compose

import (
	"errors"
	"testing"

	"github.com/containerd/errdefs"
)

func TestUpOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		o  upOptions
		ok bool
	}{
		{o: upOptions{abortOnExit: true}, ok: true},
		{o: upOptions{exitCodeFrom: "tests"}, ok: true},
		{o: upOptions{detach: true, noStart: true}, ok: true},
		{o: upOptions{abortOnExit: true, abortOnFailure: true}},
		{o: upOptions{abortOnExit: true, detach: true}},
		{o: upOptions{exitCodeFrom: "tests", wait: true}},
		{o: upOptions{abortOnFailure: true, noStart: true}},
	} {
		err := tc.o.validate()
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, errdefs.ErrInvalidArgument)) {
			t.Errorf("%+v: %v", tc.o, err)
		}
	}
}
