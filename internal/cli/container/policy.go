package container

import (
	"strconv"
	"strings"
	"time"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/pflag"
)

// policyOptions are the restart policy and health check flags of run and
// create.
type policyOptions struct {
	restart             string
	healthCmd           string
	healthInterval      time.Duration
	healthTimeout       time.Duration
	healthStartPeriod   time.Duration
	healthStartInterval time.Duration
	healthRetries       int
	noHealthcheck       bool
}

func addPolicyFlags(fs *pflag.FlagSet, o *policyOptions) {
	fs.StringVar(&o.restart, "restart", "no", "Restart policy to apply when a container exits")
	fs.StringVar(&o.healthCmd, "health-cmd", "", "Command to run to check health")
	fs.DurationVar(&o.healthInterval, "health-interval", 0, "Time between running the check (ms|s|m|h) (default 0s)")
	fs.DurationVar(&o.healthTimeout, "health-timeout", 0, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)")
	fs.DurationVar(&o.healthStartPeriod, "health-start-period", 0, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)")
	fs.DurationVar(&o.healthStartInterval, "health-start-interval", 0, "Time between running the check during the start period (ms|s|m|h) (default 0s)")
	fs.IntVar(&o.healthRetries, "health-retries", 0, "Consecutive failures needed to report unhealthy")
	fs.BoolVar(&o.noHealthcheck, "no-healthcheck", false, "Disable any container-specified HEALTHCHECK")
}

// restartPolicy parses --restart ("no", "always", "unless-stopped",
// "on-failure[:N]") as the docker CLI does; the daemon validates names.
func (o *policyOptions) restartPolicy(autoRemove bool) (container.RestartPolicy, error) {
	var p container.RestartPolicy
	if o.restart == "" {
		return p, nil
	}
	name, count, hasCount := strings.Cut(o.restart, ":")
	if hasCount && name == "" {
		return p, command.InvalidArgument("invalid restart policy format: no policy provided before colon")
	}
	if count != "" {
		n, err := strconv.Atoi(count)
		if err != nil {
			return p, command.InvalidArgument("invalid restart policy format: maximum retry count must be an integer")
		}
		p.MaximumRetryCount = n
	}
	p.Name = container.RestartPolicyMode(name)
	if autoRemove && !p.IsNone() {
		return p, command.InvalidArgument("conflicting options: cannot specify both --restart and --rm")
	}
	return p, nil
}

func (o *policyOptions) hasHealthSettings() bool {
	return o.healthCmd != "" || o.healthInterval != 0 || o.healthTimeout != 0 ||
		o.healthStartPeriod != 0 || o.healthStartInterval != 0 || o.healthRetries != 0
}

// healthcheck builds Config.Healthcheck: nil keeps the image's check.
func (o *policyOptions) healthcheck() (*container.HealthConfig, error) {
	if o.noHealthcheck {
		if o.hasHealthSettings() {
			return nil, command.InvalidArgument("--no-healthcheck conflicts with --health-* options")
		}
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	if !o.hasHealthSettings() {
		return nil, nil
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"interval", o.healthInterval}, {"timeout", o.healthTimeout}, {"start-period", o.healthStartPeriod}, {"start-interval", o.healthStartInterval}} {
		if d.v < 0 {
			return nil, command.InvalidArgument("--health-%s cannot be negative", d.flag)
		}
	}
	if o.healthRetries < 0 {
		return nil, command.InvalidArgument("--health-retries cannot be negative")
	}
	hc := &container.HealthConfig{
		Interval: o.healthInterval, Timeout: o.healthTimeout, StartPeriod: o.healthStartPeriod,
		StartInterval: o.healthStartInterval, Retries: o.healthRetries,
	}
	if o.healthCmd != "" {
		hc.Test = []string{"CMD-SHELL", o.healthCmd}
	}
	return hc, nil
}
