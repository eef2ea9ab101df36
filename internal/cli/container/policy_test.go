package container

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestRestartPolicyFlag(t *testing.T) {
	cases := []struct {
		in      string
		rm      bool
		name    container.RestartPolicyMode
		count   int
		wantErr string
	}{
		{"no", false, "no", 0, ""},
		{"always", false, "always", 0, ""},
		{"on-failure:3", false, "on-failure", 3, ""},
		{"on-failure:-1", false, "on-failure", -1, ""}, // the daemon rejects it
		{"on-failure:x", false, "", 0, "invalid restart policy format: maximum retry count must be an integer"},
		{":3", false, "", 0, "invalid restart policy format: no policy provided before colon"},
		{"always", true, "", 0, "conflicting options: cannot specify both --restart and --rm"},
		{"no", true, "no", 0, ""},
	}
	for _, tc := range cases {
		o := policyOptions{restart: tc.in}
		p, err := o.restartPolicy(tc.rm)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s: got %v want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || p.Name != tc.name || p.MaximumRetryCount != tc.count {
			t.Errorf("%s: %+v %v", tc.in, p, err)
		}
	}
}

func TestHealthcheckFlags(t *testing.T) {
	cases := []struct {
		name    string
		o       policyOptions
		test    []string
		nilOK   bool
		wantErr string
	}{
		{"none set keeps the image's", policyOptions{}, nil, true, ""},
		{"cmd", policyOptions{healthCmd: "exit 0", healthInterval: time.Second}, []string{"CMD-SHELL", "exit 0"}, false, ""},
		{"interval only", policyOptions{healthInterval: time.Second}, nil, false, ""},
		{"disabled", policyOptions{noHealthcheck: true}, []string{"NONE"}, false, ""},
		{"conflict", policyOptions{noHealthcheck: true, healthCmd: "x"}, nil, false, "--no-healthcheck conflicts with --health-* options"},
		{"negative", policyOptions{healthTimeout: -time.Second}, nil, false, "--health-timeout cannot be negative"},
		{"negative retries", policyOptions{healthRetries: -1}, nil, false, "--health-retries cannot be negative"},
	}
	for _, tc := range cases {
		hc, err := tc.o.healthcheck()
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s: got %v", tc.name, err)
			}
			continue
		}
		if err != nil || (hc == nil) != tc.nilOK {
			t.Fatalf("%s: %+v %v", tc.name, hc, err)
		}
		if hc != nil && len(hc.Test) != len(tc.test) {
			t.Errorf("%s: test %v", tc.name, hc.Test)
		}
	}
}
