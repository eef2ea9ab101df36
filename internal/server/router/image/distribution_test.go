package image

import (
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/containerd/errdefs"
)

func TestPullRef(t *testing.T) {
	tests := []struct{ img, tag, want string }{
		{"busybox", "", "busybox"},
		{"busybox", "1.36", "busybox:1.36"},
		{"reg:5000/x", "sha256:abc", "reg:5000/x@sha256:abc"},
		{"x@sha256:abc", "latest", "x@sha256:abc"},
	}
	for _, tt := range tests {
		if got := pullRef(tt.img, tt.tag); got != tt.want {
			t.Errorf("pullRef(%q, %q) = %q, want %q", tt.img, tt.tag, got, tt.want)
		}
	}
}

func TestAuthFromHeader(t *testing.T) {
	js := `{"username":"u","password":"p?>","serveraddress":"r"}`
	for name, enc := range map[string]*base64.Encoding{"url": base64.URLEncoding, "raw url": base64.RawURLEncoding, "std": base64.StdEncoding} {
		req, _ := http.NewRequest(http.MethodPost, "/", nil)
		req.Header.Set("X-Registry-Auth", enc.EncodeToString([]byte(js)))
		a, err := authFromHeader(req)
		if err != nil || a.Username != "u" || a.Password != "p?>" || a.ServerAddress != "r" {
			t.Errorf("%s: %+v %v", name, a, err)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("X-Registry-Auth", "!!!")
	if _, err := authFromHeader(req); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("bad header: %v", err)
	}
}
