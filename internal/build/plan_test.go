package build

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	ctr "github.com/moby/moby/api/types/container"
)

// treeFake is the fake backend whose containers hold an empty directory
// at every path.
type treeFake struct{ *fakeBackend }

func (treeFake) Stat(context.Context, string, string) (ctr.PathStat, error) {
	return ctr.PathStat{Name: "d", Mode: os.ModeDir | 0o755}, nil
}

func (treeFake) Get(_ context.Context, _, _ string, w io.Writer) (ctr.PathStat, error) {
	return ctr.PathStat{Name: "d", Mode: os.ModeDir | 0o755}, tar.NewWriter(w).Close()
}

// TestStageRefs: RUN --mount from= and COPY --from make the stage they
// name a dependency (so it builds first, and only when needed); a stage
// named before it is defined, or a name that is neither a stage nor an
// image reference, is refused before anything runs.
func TestStageRefs(t *testing.T) {
	f := newFake()
	df := "FROM busybox AS tools\nRUN in-tools\nFROM busybox AS unused\nRUN in-unused\n" +
		"FROM busybox\nRUN --mount=type=bind,from=tools,target=/t --mount=type=cache,target=/c in-final\n"
	out := &textOutput{}
	_, err := New(treeFake{f}, nil, t.TempDir()).Build(context.Background(), contextTar(t, map[string]string{"Dockerfile": df}), Options{}, out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.buf.String())
	}
	if !slices.Equal(f.ran, []string{"/bin/sh -c in-tools", "/bin/sh -c in-final"}) {
		t.Errorf("ran %q", f.ran)
	}
	bad := []struct{ name, dockerfile, want string }{
		{"later", "FROM busybox AS a\nRUN --mount=type=bind,from=b,target=/x true\nFROM busybox AS b\nFROM a\n", `uses stage "b"`},
		{"self", "FROM busybox AS a\nCOPY --from=a /x /x\n", `stage "a" uses stage "a"`},
		{"invalid", "FROM busybox\nRUN --mount=type=bind,from=Not/Valid,target=/x true\n", "--from=Not/Valid"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			_, out, err := fakeBuild(t, f, nil, map[string]string{"Dockerfile": tc.dockerfile}, Options{})
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q\n%s", err, tc.want, out)
			}
			if len(f.ran) != 0 {
				t.Errorf("ran %q before refusing", f.ran)
			}
		})
	}
}

func TestSplitWildcard(t *testing.T) {
	for _, tc := range []struct{ in, base, pattern string }{
		{"/out/*.so", "/out", "*.so"},
		{"out/*/lib?.so", "/out", "*/lib?.so"},
		{"*.txt", "/", "*.txt"},
		{"/a/b/[xy]/c", "/a/b", "[xy]/c"},
		{"/a/../b/*", "/b", "*"},
	} {
		if base, pattern := splitWildcard(tc.in); base != tc.base || pattern != tc.pattern {
			t.Errorf("splitWildcard(%q) = %q, %q; want %q, %q", tc.in, base, pattern, tc.base, tc.pattern)
		}
	}
}

func TestWalkCompare(t *testing.T) {
	names := []string{"a.txt", "a/b", "a", "a-b/c", "a/b/c", "b", "a-b"}
	slices.SortFunc(names, walkCompare)
	if want := []string{"a", "a/b", "a/b/c", "a-b", "a-b/c", "a.txt", "b"}; !slices.Equal(names, want) {
		t.Errorf("walk order %q, want %q", names, want)
	}
}
