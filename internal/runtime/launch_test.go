package runtime

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func optionsPair(t *testing.T) (*os.File, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours := os.NewFile(uintptr(fds[0]), "ours")
	t.Cleanup(func() { ours.Close() })
	return ours, fds[1]
}

func TestOptionsRoundTrip(t *testing.T) {
	sealed, err := SealedCopy("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	defer sealed.Close()
	ours, theirs := optionsPair(t)
	want := StartOptions{ID: "c1", Bundle: "/run/b/c1", Runtime: "/usr/bin/crun", RuntimeRoot: "/run/b/crun",
		SocketPath: "/run/b/s/c1.sock", OpenStdin: true, LogPath: "/var/lib/b/c1.log", LogMaxSize: 10, LogMaxFiles: 2,
		RuntimeFile: sealed}
	if err := sendOptions(ours, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReceiveOptions(theirs)
	if err != nil {
		t.Fatal(err)
	}
	if got.RuntimeFd <= 0 {
		t.Fatal("no runtime descriptor received")
	}
	defer unix.Close(got.RuntimeFd)
	if seals, err := unix.FcntlInt(uintptr(got.RuntimeFd), unix.F_GET_SEALS, 0); err != nil || seals&sealedSeals != sealedSeals {
		t.Fatalf("received descriptor is not the sealed copy: %x %v", seals, err)
	}
	got.RuntimeFd, want.RuntimeFile = 0, nil
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if _, err := unix.FcntlInt(uintptr(theirs), unix.F_GETFD, 0); err == nil {
		t.Fatal("the options socket was left open")
	}
}

func TestOptionsAbandoned(t *testing.T) {
	ours, theirs := optionsPair(t)
	ours.Close() // the daemon aborted the start
	if _, err := ReceiveOptions(theirs); err == nil {
		t.Fatal("a closed options socket gave options")
	}
}
