package compose

import (
	"context"
	"os"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/berth-engine/berth/internal/cli/image"
	"github.com/berth-engine/berth/internal/compose"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"
)

// projectOptions are the flags of `berth compose` itself.
type projectOptions struct {
	files      []string
	name       string
	profiles   []string
	envFiles   []string
	projectDir string
}

// NewComposeCommand returns `berth compose`.
func NewComposeCommand(c *command.CLI) *cobra.Command {
	var po projectOptions
	cmd := &cobra.Command{Use: "compose [OPTIONS] COMMAND", Short: "Define and run multi-container applications", Args: command.NoArgs}
	fs := cmd.Flags() // before the subcommand, as in docker compose (logs -f is --follow)
	command.StringListVarP(fs, &po.files, "file", "f", "Compose configuration files")
	fs.StringVarP(&po.name, "project-name", "p", "", "Project name")
	command.StringListVar(fs, &po.profiles, "profile", "Specify a profile to enable")
	command.StringListVar(fs, &po.envFiles, "env-file", "Specify an alternate environment file")
	fs.StringVar(&po.projectDir, "project-directory", "", "Specify an alternate working directory")
	cmd.AddCommand(newConfigCommand(c, &po), newUpCommand(c, &po), newDownCommand(c, &po), newPsCommand(c, &po),
		newLogsCommand(c, &po), newBuildCommand(c, &po), newPullCommand(c, &po), newPushCommand(c, &po),
		newStartCommand(c, &po), newStopCommand(c, &po), newRestartCommand(c, &po), newExecCommand(c, &po), newRunCommand(c, &po),
		newImagesCommand(c, &po), newTopCommand(c, &po), newPortCommand(c, &po))
	return cmd
}

func (po *projectOptions) loadOptions(services []string) compose.LoadOptions {
	return compose.LoadOptions{Files: po.files, ProjectName: po.name, WorkingDir: po.projectDir,
		Profiles: po.profiles, EnvFiles: po.envFiles, Services: services}
}

// load loads the project, keeping only services (and their dependencies).
func (po *projectOptions) load(ctx context.Context, services ...string) (*types.Project, error) {
	return compose.Load(ctx, po.loadOptions(services))
}

// projectName is the project's name: from its files when they load, else
// from -p or COMPOSE_PROJECT_NAME (down, ps, logs work without files).
func (po *projectOptions) projectName(ctx context.Context) (string, *types.Project, error) {
	p, err := po.load(ctx)
	if err == nil {
		return p.Name, p, nil
	}
	if n := compose.ProjectName(po.name); n != "" && noConfigFile(po) {
		return n, nil, nil
	}
	return "", nil, err
}

func noConfigFile(po *projectOptions) bool {
	if len(po.files) > 0 {
		return false
	}
	for _, f := range []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"} {
		if _, err := os.Stat(f); err == nil {
			return false
		}
	}
	return os.Getenv("COMPOSE_FILE") == ""
}

// service returns a Compose on the CLI's client.
func service(ctx context.Context, c *command.CLI) (*compose.Compose, error) {
	api, err := c.Client(ctx)
	if err != nil {
		return nil, err
	}
	return compose.New(api, c.Err, compose.WithRegistryAuth(image.RegistryAuth)), nil
}

// exitStatus turns a non-zero exit code of exec/run into the CLI's status.
func exitStatus(code int, err error) error {
	if err != nil {
		return err
	}
	if code != 0 {
		return command.StatusError{StatusCode: code}
	}
	return nil
}
