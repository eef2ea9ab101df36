// Package buildcontext writes a directory as a build context, the way the
// docker CLI does: a tar stream without what .dockerignore excludes. The
// berth CLI's build and compose's build share it. It imports no other
// Berth package.
package buildcontext

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// ReadDockerignore returns the patterns of dir/.dockerignore (none when
// there is no such file).
func ReadDockerignore(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ignorefile.ReadAll(f)
}

// Tar writes dir as a tar stream without the paths excludes match (the
// Dockerfile, relative to dir, and .dockerignore are always sent).
func Tar(dir, dockerfile string, excludes []string, w io.Writer) error {
	dockerfile = filepath.ToSlash(dockerfile)
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if rel != dockerfile && rel != ".dockerignore" {
			skip, err := pm.MatchesOrParentMatches(rel)
			if err != nil {
				return err
			}
			if skip {
				if d.IsDir() && !pm.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		return addFile(tw, p, rel)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func addFile(tw *tar.Writer, p, rel string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return nil // sockets and the like are not sent
	}
	hdr.Name = rel
	if fi.IsDir() {
		hdr.Name += "/"
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}

// SecretsHeader carries `berth build --secret` values from the CLI to the
// daemon: base64 of a JSON object from secret id to its content (base64,
// as JSON encodes bytes). A Berth extension: the classic API has no other
// way to pass them.
const SecretsHeader = "X-Berth-Build-Secrets"
