package command

import (
	"errors"
	"reflect"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

func TestParseFilters(t *testing.T) {
	got, err := ParseFilters([]string{"status=exited", "label=a=b", "status=created"})
	if err != nil {
		t.Fatal(err)
	}
	want := client.Filters{"status": {"exited": true, "created": true}, "label": {"a=b": true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	if _, err := ParseFilters([]string{"nonsense"}); !errors.Is(err, errdefs.ErrInvalidArgument) ||
		err.Error() != "bad format of filter (expected name=value)" {
		t.Errorf("bad filter: %v", err)
	}
}

func TestStatusError(t *testing.T) {
	cause := errdefs.ErrNotFound.WithMessage("x")
	se := StatusError{StatusCode: 125, Cause: cause}
	if !errors.Is(se, errdefs.ErrNotFound) || se.Error() != "x" {
		t.Errorf("StatusError wraps badly: %v", se)
	}
	if (StatusError{Status: "shown", Cause: cause}).Error() != "shown" {
		t.Error("Status must win")
	}
}
