package container

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth-engine/berth/internal/archive"
	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/containerd/errdefs"
	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type cpOptions struct {
	archive, followLink, quiet bool
}

func newCpCommand(c *command.CLI) *cobra.Command {
	var o cpOptions
	cmd := &cobra.Command{
		Use:   "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Args:  command.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCp(cmd.Context(), c, o, args[0], args[1])
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.archive, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	fs.BoolVarP(&o.followLink, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress progress output during copy")
	return cmd
}

// splitCpArg splits "container:path"; a local path (absolute, or starting
// with ".") never names a container.
func splitCpArg(arg string) (ctrName, p string) {
	if filepath.IsAbs(arg) || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	name, p, ok := strings.Cut(arg, ":")
	if !ok {
		return "", arg
	}
	return name, p
}

func runCp(ctx context.Context, c *command.CLI, o cpOptions, src, dst string) error {
	srcCtr, srcPath := splitCpArg(src)
	dstCtr, dstPath := splitCpArg(dst)
	switch {
	case srcCtr != "" && dstCtr != "":
		return command.InvalidArgument("copying between containers is not supported")
	case srcCtr == "" && dstCtr == "":
		return command.InvalidArgument("must specify at least one container source")
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	var n int64
	if srcCtr != "" {
		n, err = copyFromContainer(ctx, api, srcCtr, srcPath, dstPath, c.Out)
	} else {
		n, err = copyToContainer(ctx, api, o, srcPath, dstCtr, dstPath, c.In)
	}
	if err == nil && !o.quiet && src != "-" && dst != "-" {
		fmt.Fprintf(c.Err, "Successfully copied %s to %s\n", units.HumanSizeWithPrecision(float64(n), 3), dst)
	}
	return err
}

func copyFromContainer(ctx context.Context, api command.APIClient, ctrName, srcPath, dst string, stdout io.Writer) (int64, error) {
	res, err := api.CopyFromContainer(ctx, ctrName, client.CopyFromContainerOptions{SourcePath: srcPath})
	if err != nil {
		return 0, err
	}
	defer res.Content.Close()
	if dst == "-" {
		return io.Copy(stdout, res.Content)
	}
	contents := strings.HasSuffix(srcPath, "/.")
	fi, statErr := os.Stat(dst)
	var dir string
	var r io.Reader = res.Content
	switch {
	case contents:
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return 0, err
		}
		dir = dst
	case statErr == nil && fi.IsDir():
		dir = dst
	case strings.HasSuffix(dst, string(filepath.Separator)):
		return 0, fmt.Errorf("destination directory %q does not exist", dst)
	default: // a new name, or a file to replace
		dir = filepath.Dir(dst)
		r = rebaseTar(res.Content, res.Stat.Name, filepath.Base(dst))
	}
	return archive.Apply(ctx, dir, r, archive.ApplyOptions{Whiteouts: archive.WhiteoutApply})
}

func copyToContainer(ctx context.Context, api command.APIClient, o cpOptions, src, ctrName, dstPath string, stdin io.Reader) (int64, error) {
	if src == "-" {
		_, err := api.CopyToContainer(ctx, ctrName, client.CopyToContainerOptions{DestinationPath: dstPath, Content: stdin})
		return 0, err
	}
	if o.followLink {
		if resolved, err := filepath.EvalSymlinks(src); err == nil {
			src = resolved
		}
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return 0, err
	}
	dest, rename, err := destination(ctx, api, ctrName, dstPath, fi.IsDir())
	if err != nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	counter := &countingReader{r: pr}
	go func() {
		var err error
		if strings.HasSuffix(src, string(filepath.Separator)+".") {
			err = archive.Tar(ctx, src, pw)
		} else {
			err = archive.TarPath(ctx, src, pw)
		}
		pw.CloseWithError(err)
	}()
	var content io.Reader = counter
	if rename != "" {
		content = rebaseTar(counter, filepath.Base(src), rename)
	}
	_, err = api.CopyToContainer(ctx, ctrName, client.CopyToContainerOptions{DestinationPath: dest, Content: content, CopyUIDGID: o.archive})
	pr.CloseWithError(errors.New("copy ended"))
	return counter.n, err
}

// destination decides where in the container the tar is extracted: into
// dstPath when it is a directory, else into its parent under a new name.
func destination(ctx context.Context, api command.APIClient, ctrName, dstPath string, srcIsDir bool) (dir, rename string, err error) {
	st, err := api.ContainerStatPath(ctx, ctrName, client.ContainerStatPathOptions{Path: dstPath})
	switch {
	case err == nil && st.Stat.Mode.IsDir():
		return dstPath, "", nil
	case err == nil && srcIsDir:
		return "", "", command.InvalidArgument("cannot copy a directory to a file")
	case err == nil:
		return path.Dir(dstPath), path.Base(dstPath), nil
	case errdefs.IsNotFound(err) && strings.HasSuffix(dstPath, "/"):
		return "", "", fmt.Errorf("destination directory %q does not exist", dstPath)
	case errdefs.IsNotFound(err):
		return path.Dir(dstPath), path.Base(dstPath), nil
	}
	return "", "", err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// rebaseTar renames the top entry from and everything under it to to.
func rebaseTar(r io.Reader, from, to string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		tr, tw := tar.NewReader(r), tar.NewWriter(pw)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				pw.CloseWithError(tw.Close())
				return
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			name := strings.TrimPrefix(hdr.Name, "./")
			if name == from || strings.HasPrefix(name, from+"/") {
				hdr.Name = to + strings.TrimPrefix(name, from)
			}
			if err := tw.WriteHeader(hdr); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.Copy(tw, tr); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	return pr
}
