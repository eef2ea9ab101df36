package container

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-engine/berth/internal/testutil/daemon"
	ctr "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"golang.org/x/sys/unix"
)

// resDocker runs the docker CLI against d.
func resDocker(t *testing.T, d *daemon.Daemon, args ...string) (string, string, int) {
	t.Helper()
	return d.Run(t, "", dockerCLI, args...)
}

// resRun runs a container to completion with the docker CLI and returns
// its output, failing the test on an unexpected exit code.
func resRun(t *testing.T, d *daemon.Daemon, wantCode int, args ...string) string {
	t.Helper()
	out, errOut, code := resDocker(t, d, append([]string{"run", "--rm"}, args...)...)
	if code != wantCode {
		t.Fatalf("docker run %v: code %d (want %d)\nout %q\nerr %q", args, code, wantCode, out, errOut)
	}
	return out
}

func resInspect(t *testing.T, d *daemon.Daemon, name string) ctr.InspectResponse {
	t.Helper()
	res, err := d.Client(t).ContainerInspect(context.Background(), name, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Container
}

func resStats(t *testing.T, d *daemon.Daemon, name string) ctr.StatsResponse {
	t.Helper()
	res, err := d.Client(t).ContainerStats(context.Background(), name, client.ContainerStatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s ctr.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestResourceLimits(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)

	t.Run("oom kill reported", func(t *testing.T) {
		_, errOut, code := resDocker(t, d, "run", "--name", "oom", "-m", "32m", "busybox",
			"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
		if code != 137 {
			t.Fatalf("code %d (want 137) err %q", code, errOut)
		}
		st := resInspect(t, d, "oom").State
		if !st.OOMKilled || st.ExitCode != 137 {
			t.Fatalf("state %+v, want OOMKilled and exit 137", st)
		}
		if hc := resInspect(t, d, "oom").HostConfig; hc.Memory != 32<<20 || hc.MemorySwap != 64<<20 {
			t.Errorf("memory %d swap %d", hc.Memory, hc.MemorySwap)
		}
	})
	t.Run("fork bomb held by pids limit", func(t *testing.T) {
		out, errOut, code := resDocker(t, d, "run", "-d", "--name", "forks", "--pids-limit", "20", "busybox",
			"sh", "-c", "(for i in $(seq 100); do sleep 300 & done) 2>&1; echo bomb-stopped; exec sleep 300")
		if code != 0 {
			t.Fatalf("code %d out %q err %q", code, out, errOut)
		}
		var s ctr.StatsResponse
		var logs string
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			logs, _, _ = resDocker(t, d, "logs", "forks")
			if s = resStats(t, d, "forks"); strings.Contains(logs, "bomb-stopped") {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !strings.Contains(logs, "can't fork") {
			t.Fatalf("no fork failure in the logs %q; pids %+v", logs, s.PidsStats)
		}
		if s.PidsStats.Current > 20 || s.PidsStats.Limit != 20 {
			t.Fatalf("pids %+v, want at most 20 of limit 20", s.PidsStats)
		}
		resDocker(t, d, "rm", "-f", "forks")
	})
	t.Run("cpus holds a busy loop near half a core", func(t *testing.T) {
		if _, errOut, code := resDocker(t, d, "run", "-d", "--name", "busy", "--cpus", "0.5", "busybox",
			"sh", "-c", "while :; do :; done"); code != 0 {
			t.Fatalf("code %d err %q", code, errOut)
		}
		defer resDocker(t, d, "rm", "-f", "busy")
		time.Sleep(300 * time.Millisecond)
		a := resStats(t, d, "busy")
		time.Sleep(2 * time.Second)
		b := resStats(t, d, "busy")
		used := float64(b.CPUStats.CPUUsage.TotalUsage-a.CPUStats.CPUUsage.TotalUsage) / float64(b.Read.Sub(a.Read).Nanoseconds())
		t.Logf("--cpus 0.5: %.3f cores", used)
		if used < 0.3 || used > 0.7 {
			t.Fatalf("busy loop used %.3f cores, want 0.3-0.7", used)
		}
	})
	t.Run("ulimits", func(t *testing.T) {
		out := resRun(t, d, 0, "--ulimit", "nofile=1024:2048", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn")
		if out != "1024\n2048\n" {
			t.Fatalf("ulimits %q", out)
		}
		_, errOut, code := resDocker(t, d, "run", "--rm", "--name", "toohigh", "--ulimit", "nofile=30000:3000000", "busybox", "true")
		if code != 125 || !strings.Contains(errOut, "above the host's hard limit") {
			t.Fatalf("code %d err %q", code, errOut)
		}
		if _, _, code := resDocker(t, d, "inspect", "toohigh"); code == 0 {
			t.Fatal("a refused create left a container behind")
		}
	})
	t.Run("update memory", func(t *testing.T) {
		if _, errOut, code := resDocker(t, d, "run", "-d", "--name", "upd", "-m", "64m", "busybox",
			"sh", "-c", "head -c 40m /dev/zero > /dev/shm/fill; sleep 300"); code != 0 {
			t.Fatalf("code %d err %q", code, errOut)
		}
		defer resDocker(t, d, "rm", "-f", "upd")
		waitFor(t, func() bool { return resStats(t, d, "upd").MemoryStats.Usage > 40<<20 })
		limit := func() uint64 { return resStats(t, d, "upd").MemoryStats.Limit }
		if out, errOut, code := resDocker(t, d, "update", "-m", "128m", "--memory-swap", "256m", "upd"); code != 0 || out != "upd\n" {
			t.Fatalf("raise: code %d out %q err %q", code, out, errOut)
		}
		if got := limit(); got != 128<<20 {
			t.Fatalf("limit after raise %d", got)
		}
		if _, errOut, code := resDocker(t, d, "update", "-m", "96m", "upd"); code != 0 {
			t.Fatalf("lower: code %d err %q", code, errOut)
		}
		if got := limit(); got != 96<<20 || resInspect(t, d, "upd").HostConfig.Memory != 96<<20 {
			t.Fatalf("limit after lowering %d", got)
		}
		_, errOut, code := resDocker(t, d, "update", "-m", "16m", "upd")
		if code != 1 || !strings.Contains(errOut, "below the container's current memory usage") {
			t.Fatalf("below usage: code %d err %q", code, errOut)
		}
		if got := limit(); got != 96<<20 || resInspect(t, d, "upd").HostConfig.Memory != 96<<20 {
			t.Fatalf("a refused update changed the limit to %d", got)
		}
	})
}

func TestSecurityDefaults(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	// /proc/kcore is masked when the kernel has it; this one has none, so
	// /proc/timer_list (masked too) stands in for it.
	probe := `grep CapEff /proc/1/status; [ -c /proc/kcore ] || [ -c /proc/timer_list ] && echo kcore-masked; ` +
		`[ -w /proc/sysrq-trigger ] && echo sysrq-writable; unshare -r true 2>/dev/null && echo unshare-ok; true`

	t.Run("default hardening", func(t *testing.T) {
		out := resRun(t, d, 0, "busybox", "sh", "-c", probe)
		capEff := strings.Fields(strings.SplitN(out, "\n", 2)[0])[1]
		eff, _ := strconv.ParseUint(capEff, 16, 64)
		if eff&(1<<21) != 0 { // CAP_SYS_ADMIN
			t.Errorf("CAP_SYS_ADMIN in CapEff %s", capEff)
		}
		for _, want := range []string{"kcore-masked"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q: %q", want, out)
			}
		}
		for _, bad := range []string{"sysrq-writable", "unshare-ok"} {
			if strings.Contains(out, bad) {
				t.Errorf("output has %q: %q", bad, out)
			}
		}
	})
	t.Run("privileged lifts it", func(t *testing.T) {
		out := resRun(t, d, 0, "--privileged", "busybox", "sh", "-c", probe)
		wants := []string{"CapEff:\t" + resCapBnd(t), "unshare-ok"}
		if unix.Access("/proc/sysrq-trigger", unix.W_OK) == nil { // not in every sandboxed host
			wants = append(wants, "sysrq-writable")
		}
		for _, want := range wants {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q: %q", want, out)
			}
		}
		if strings.Contains(out, "kcore-masked") {
			t.Errorf("/proc/kcore masked in a privileged container: %q", out)
		}
	})
	t.Run("options reach the container", func(t *testing.T) {
		out := resRun(t, d, 0, "--read-only", "--tmpfs", "/run:size=1m", "--group-add", "10", "--oom-score-adj", "500",
			"--shm-size", "2m", "--security-opt", "no-new-privileges", "--sysctl", "kernel.shmmax=1048576",
			"--cap-drop", "CHOWN", "--device", "/dev/null:/dev/mynull", "busybox", "sh", "-c",
			"touch /x 2>/dev/null || echo rootfs-ro; touch /run/ok && echo run-rw; id -G; cat /proc/self/oom_score_adj; "+
				"grep NoNewPrivs /proc/self/status; cat /proc/sys/kernel/shmmax; df -k /dev/shm | tail -1; [ -c /dev/mynull ] && echo dev-ok")
		for _, want := range []string{"rootfs-ro", "run-rw", " 10", "500\n", "NoNewPrivs:\t1", "1048576\n", " 2048 ", "dev-ok"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("init reaps and passes the exit code", func(t *testing.T) {
		out := resRun(t, d, 0, "--init", "busybox", "ps", "-o", "pid,comm")
		if !strings.Contains(out, "1 docker-init") {
			t.Fatalf("pid 1 is not docker-init:\n%s", out)
		}
		resRun(t, d, 3, "--init", "busybox", "sh", "-c", "exit 3")
		start := time.Now()
		if _, errOut, code := resDocker(t, d, "run", "-d", "--name", "initstop", "--init", "busybox", "sleep", "300"); code != 0 {
			t.Fatal(errOut)
		}
		resDocker(t, d, "stop", "initstop")
		if time.Since(start) > 8*time.Second {
			t.Errorf("docker-init did not forward SIGTERM (stop took %s)", time.Since(start))
		}
		resDocker(t, d, "rm", "-f", "initstop")
	})
	t.Run("bad options are refused at create", func(t *testing.T) {
		cases := []struct {
			args []string
			msg  string
		}{
			{[]string{"--cap-add", "BOGUS"}, `unknown capability: "CAP_BOGUS"`},
			{[]string{"--security-opt", "seccomp=/nonexistent.json"}, "opening seccomp profile (/nonexistent.json) failed"},
			{[]string{"--security-opt", "apparmor=docker-default"}, "AppArmor is not enabled on this host"},
			{[]string{"--sysctl", "kernel.panic=1"}, "is not allowed"},
			{[]string{"-m", "1m"}, "Minimum memory limit allowed is 6MB"},
			{[]string{"--cpus", "8000"}, "Range of CPUs is from 0.01 to"},
			{[]string{"--cpus", "1", "--cpu-period", "50000"}, "Conflicting options: Nano CPUs and CPU Period cannot both be set"},
			{[]string{"--cpuset-cpus", "99"}, "Requested CPUs are not available"},
			{[]string{"--blkio-weight", "5"}, "Range of blkio weight is from 10 to 1000"},
			{[]string{"--oom-score-adj", "2000"}, "range for oom score adj is [-1000, 1000]"},
			{[]string{"--memory-reservation", "64m", "-m", "32m"}, "Minimum memory limit can not be less than memory reservation limit"},
			{[]string{"--tmpfs", "relative"}, "mount path must be absolute"},
		}
		for _, tc := range cases {
			_, errOut, code := resDocker(t, d, append(append([]string{"create", "--name", "bad"}, tc.args...), "busybox")...)
			if code == 0 || !strings.Contains(errOut, tc.msg) {
				t.Errorf("%v: code %d err %q, want %q", tc.args, code, errOut, tc.msg)
			}
		}
		if out, _, _ := resDocker(t, d, "ps", "-aq"); strings.TrimSpace(out) != "" {
			t.Errorf("refused creates left containers: %q", out)
		}
	})
	t.Run("custom seccomp profile", func(t *testing.T) {
		dir := t.TempDir()
		profile := dir + "/deny-mkdir.json"
		writeFile(t, profile, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`)
		out := resRun(t, d, 0, "--security-opt", "seccomp="+profile, "busybox", "sh", "-c", "mkdir /tmp/x 2>/dev/null || echo denied")
		if out != "denied\n" {
			t.Fatalf("out %q", out)
		}
		out = resRun(t, d, 0, "--security-opt", "seccomp=unconfined", "busybox", "sh", "-c", "unshare -r true && echo unshare-ok")
		if out != "unshare-ok\n" {
			t.Fatalf("out %q", out)
		}
	})
}

func TestDockerStatsNoStream(t *testing.T) {
	requireDocker(t)
	d := newDaemon(t)
	const n = 10
	for i := 0; i < n; i++ {
		if _, errOut, code := resDocker(t, d, "run", "-d", "--name", "st"+strconv.Itoa(i), "-m", "64m", "busybox", "sleep", "300"); code != 0 {
			t.Fatal(errOut)
		}
	}
	t.Cleanup(func() {
		for i := 0; i < n; i++ {
			resDocker(t, d, "rm", "-f", "st"+strconv.Itoa(i))
		}
	})
	start := time.Now()
	out, errOut, code := resDocker(t, d, "stats", "--no-stream")
	took := time.Since(start)
	t.Logf("docker stats --no-stream over %d containers: %s", n, took)
	if code != 0 {
		t.Fatalf("code %d err %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != n+1 || !strings.HasPrefix(lines[0], "CONTAINER ID   NAME      CPU %") {
		t.Fatalf("stats output:\n%s", out)
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, "/ 64MiB") || !strings.Contains(l, "st") {
			t.Errorf("row %q", l)
		}
	}
	if took > 2*time.Second {
		t.Errorf("docker stats --no-stream took %s", took)
	}
	out, errOut, code = d.Run(t, "", d.Binary, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "st0")
	if code != 0 || out != "st0 1\n" {
		t.Fatalf("berth stats: code %d out %q err %q", code, out, errOut)
	}

	t.Run("stream", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := d.Client(t).ContainerStats(ctx, "st1", client.ContainerStatsOptions{Stream: true})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		dec := json.NewDecoder(res.Body)
		var a, b ctr.StatsResponse
		if err := dec.Decode(&a); err != nil {
			t.Fatal(err)
		}
		if err := dec.Decode(&b); err != nil {
			t.Fatal(err)
		}
		if !b.PreRead.Equal(a.Read) || b.Read.Sub(a.Read) < 900*time.Millisecond || b.PreCPUStats.SystemUsage == 0 {
			t.Fatalf("second sample read %s preread %s (first read %s)", b.Read, b.PreRead, a.Read)
		}
		if _, ok := b.Networks["eth0"]; !ok || b.MemoryStats.Limit != 64<<20 || b.PidsStats.Current != 1 {
			t.Errorf("sample %+v", b)
		}
	})
	t.Run("stopped container", func(t *testing.T) {
		resDocker(t, d, "stop", "-t", "0", "st2")
		s := resStats(t, d, "st2")
		if !s.Read.IsZero() || s.Name != "/st2" || s.MemoryStats.Usage != 0 {
			t.Fatalf("stopped sample %+v", s)
		}
	})
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// resCapBnd is the test process's bounding set: what --privileged grants.
func resCapBnd(t *testing.T) string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no CapBnd")
	return ""
}
