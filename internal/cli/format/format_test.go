package format

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func sampleContainer() container.Summary {
	return container.Summary{
		ID:      "4c01db0b339cfdc89d8e7a1e7c3d7f5e2b6a1c0d9e8f7a6b5c4d3e2f1a0b9c8d",
		Names:   []string{"/web", "/other/alias"},
		Image:   "busybox:latest",
		ImageID: "sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999",
		Command: "sh -c 'while true; do sleep 1; done'",
		Created: now.Add(-5 * time.Second).Unix(),
		State:   container.StateRunning,
		Status:  "Up 3 seconds",
		Labels:  map[string]string{"b": "2", "a": "1"},
		SizeRw:  4260000,
		Ports: []container.PortSummary{
			{IP: netip.MustParseAddr("0.0.0.0"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
			{IP: netip.MustParseAddr("::"), PrivatePort: 80, PublicPort: 8080, Type: "tcp"},
			{PrivatePort: 443, Type: "tcp"},
		},
		NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{"bridge": {}, "app": {}}},
	}
}

func TestContainerTable(t *testing.T) {
	buf := &bytes.Buffer{}
	rows := []any{NewContainer(sampleContainer(), true, now)}
	if err := Write(buf, ContainerTable, ContainerHeader{}, rows); err != nil {
		t.Fatal(err)
	}
	want := `CONTAINER ID   IMAGE            COMMAND                  CREATED         STATUS         PORTS                                              NAMES
4c01db0b339c   busybox:latest   "sh -c 'while true; …"   5 seconds ago   Up 3 seconds   443/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web
`
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestContainerPlaceholders(t *testing.T) {
	c := sampleContainer()
	tests := []struct {
		format string
		trunc  bool
		want   string
	}{
		{"{{.ID}}", true, "4c01db0b339c\n"},
		{"{{.ID}}", false, c.ID + "\n"},
		{"{{.Names}}", false, "web,other/alias\n"},
		{"{{.Command}}", false, `"sh -c 'while true; do sleep 1; done'"` + "\n"},
		{"{{.Labels}}", true, "a=1,b=2\n"},
		{`{{.Label "b"}}`, true, "2\n"},
		{"{{.Networks}}", true, "app,bridge\n"},
		{"{{.State}} {{.Status}}", true, "running Up 3 seconds\n"},
		{"{{.Size}}", true, "4.26MB\n"},
		{"{{.CreatedAt}}", true, "2025-06-01 11:59:55 +0000 UTC\n"},
		{"{{.RunningFor}}", true, "5 seconds ago\n"},
		{`{{.ID}}\t{{.Image}}`, true, "4c01db0b339c\tbusybox:latest\n"},
		{"{{json .Names}}", true, `"web"` + "\n"},
		{"table {{.Names}}", true, "NAMES\nweb\n"},
		{"{{upper .State}}", true, "RUNNING\n"},
	}
	for _, tt := range tests {
		buf := &bytes.Buffer{}
		if err := Write(buf, tt.format, ContainerHeader{}, []any{NewContainer(c, tt.trunc, now)}); err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		if buf.String() != tt.want {
			t.Errorf("%s: got %q want %q", tt.format, buf.String(), tt.want)
		}
	}
}

func TestContainerJSON(t *testing.T) {
	buf := &bytes.Buffer{}
	if err := Write(buf, "json", nil, []any{NewContainer(sampleContainer(), true, now)}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ID":"4c01db0b339c"`, `"Names":"web"`, `"State":"running"`, `"Size":"4.26MB"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("%s missing %s", buf.String(), want)
		}
	}
}

func TestEmptyTableHasHeader(t *testing.T) {
	buf := &bytes.Buffer{}
	if err := Write(buf, "table {{.ID}}\t{{.Names}}", ContainerHeader{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "CONTAINER ID   NAMES\n" {
		t.Errorf("got %q", got)
	}
}

func TestBadTemplate(t *testing.T) {
	err := Write(&bytes.Buffer{}, "{{.ID", ContainerHeader{}, nil)
	if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.HasPrefix(err.Error(), "template parsing error: ") {
		t.Errorf("got %v", err)
	}
}

func TestImageImage(t *testing.T) {
	tests := []struct{ image, imageID, want string }{
		{"busybox", "", "busybox"},
		{"busybox:latest", "", "busybox:latest"},
		{"docker.io/library/busybox:1.36", "", "busybox:1.36"},
		{"sha256:aaaabbbbcccc1234", "sha256:aaaabbbbcccc1234", "aaaabbbbcccc"},
		{"registry:5000/x@sha256:0123456789012345678901234567890123456789012345678901234567890123", "", "registry:5000/x"},
		{"", "", "<no image>"},
	}
	for _, tt := range tests {
		c := NewContainer(container.Summary{Image: tt.image, ImageID: tt.imageID}, true, now)
		if got := c.Image(); got != tt.want {
			t.Errorf("%s: got %q want %q", tt.image, got, tt.want)
		}
	}
}

func TestDisplayablePorts(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		ports []container.PortSummary
		want  string
	}{
		{nil, ""},
		{[]container.PortSummary{{PrivatePort: 80, Type: "tcp"}}, "80/tcp"},
		{[]container.PortSummary{
			{IP: ip, PrivatePort: 81, PublicPort: 81, Type: "tcp"},
			{IP: ip, PrivatePort: 80, PublicPort: 80, Type: "tcp"},
			{IP: netip.MustParseAddr("::"), PrivatePort: 80, PublicPort: 80, Type: "tcp"},
		}, "127.0.0.1:80-81->80-81/tcp, [::]:80->80/tcp"},
		{[]container.PortSummary{{IP: ip, PrivatePort: 80, PublicPort: 8080, Type: "tcp"}}, "127.0.0.1:8080->80/tcp"},
		{[]container.PortSummary{{PrivatePort: 53, Type: "udp"}, {PrivatePort: 54, Type: "udp"}}, "53-54/udp"},
	}
	for _, tt := range tests {
		if got := DisplayablePorts(tt.ports); got != tt.want {
			t.Errorf("got %q want %q", got, tt.want)
		}
	}
}

func TestImageTable(t *testing.T) {
	imgs := []image.Summary{
		{
			ID: "sha256:1111111111112222222222223333333333334444444444445555555555556666", Created: now.Add(-2 * time.Hour).Unix(),
			Size: 4261234, RepoTags: []string{"busybox:latest", "busybox:1.36", "localhost:5000/bb:v1"},
			RepoDigests: []string{"busybox@sha256:abababababababababababababababababababababababababababababababab"},
		},
		{ID: "sha256:9999999999998888888888887777777777776666666666665555555555554444", Created: now.Add(-72 * time.Hour).Unix(), Size: 999},
	}
	buf := &bytes.Buffer{}
	rows := []any{}
	for _, r := range ImageRows(imgs, false, true, now) {
		rows = append(rows, r)
	}
	if err := Write(buf, ImageTable, ImageHeader{}, rows); err != nil {
		t.Fatal(err)
	}
	want := `REPOSITORY          TAG       IMAGE ID       CREATED       SIZE
busybox             latest    111111111111   2 hours ago   4.26MB
busybox             1.36      111111111111   2 hours ago   4.26MB
localhost:5000/bb   v1        111111111111   2 hours ago   4.26MB
<none>              <none>    999999999999   3 days ago    999B
`
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestImageDigests(t *testing.T) {
	img := image.Summary{ID: "sha256:12", RepoDigests: []string{"busybox@sha256:abababababababababababababababababababababababababababababababab"}}
	rows := ImageRows([]image.Summary{img}, true, true, now)
	if len(rows) != 1 || rows[0].Repository() != "busybox" || rows[0].Tag() != "<none>" || !strings.HasPrefix(rows[0].Digest(), "sha256:abab") {
		t.Errorf("got %+v", rows)
	}
}

func TestEllipsis(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abcdef", 4, "abc…"}, {"abc", 3, "abc"}, {"héllo wörld", 6, "héllo…"}}
	for _, tt := range tests {
		if got := Ellipsis(tt.in, tt.n); got != tt.want {
			t.Errorf("Ellipsis(%q,%d)=%q want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
