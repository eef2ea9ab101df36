package oci

import (
	"errors"
	"path/filepath"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ResolveUser resolves Docker's --user syntax (name, uid, name:group,
// uid:gid, "" for root) against rootfs/etc/passwd and rootfs/etc/group,
// resolving symlinks inside rootfs. Numeric ids need no passwd entry. The
// primary gid comes first in AdditionalGids, followed by the groups that
// list the user, as Docker does. It also returns the home directory ("/"
// when unknown) for a HOME default.
func ResolveUser(rootfs, userSpec string) (specs.User, string, error) {
	passwd := inRootfs(rootfs, "/etc/passwd")
	group := inRootfs(rootfs, "/etc/group")
	eu, err := user.GetExecUserPath(userSpec, nil, passwd, group)
	if err != nil {
		return specs.User{}, "", classifyUserErr(err)
	}
	u := specs.User{UID: uint32(eu.Uid), GID: uint32(eu.Gid), AdditionalGids: []uint32{uint32(eu.Gid)}}
	for _, g := range eu.Sgids {
		u.AdditionalGids = append(u.AdditionalGids, uint32(g))
	}
	home := eu.Home
	if home == "" {
		home = "/"
	}
	return u, home, nil
}

// inRootfs resolves p inside rootfs; a path that cannot be resolved (symlink
// loop, escaping link to a missing target) reads as an absent file, which
// moby/sys/user treats as "no entries".
func inRootfs(rootfs, p string) string {
	full, err := securejoin.SecureJoin(rootfs, p)
	if err != nil {
		return filepath.Join(rootfs, ".berth-unresolvable")
	}
	return full
}

// classifyUserErr keeps moby's message ("unable to find user x: no matching
// entries in passwd file") and classifies it as an invalid argument.
func classifyUserErr(err error) error {
	if errors.Is(err, user.ErrNoPasswdEntries) || errors.Is(err, user.ErrNoGroupEntries) ||
		errors.Is(err, user.ErrRange) {
		return invalidArgument{err}
	}
	return err
}

type invalidArgument struct{ error }

func (e invalidArgument) Unwrap() error { return e.error }

func (invalidArgument) Is(target error) bool { return target == errdefs.ErrInvalidArgument }
