package compose

import (
	"context"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/graph"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/containerd/errdefs"
)

// LoadOptions select and configure the compose files of a project.
type LoadOptions struct {
	Files       []string // -f, in order (merged); empty: COMPOSE_FILE or compose.yaml in WorkingDir or a parent
	ProjectName string   // -p; else COMPOSE_PROJECT_NAME, the top-level name, the directory
	WorkingDir  string   // --project-directory; default: the first file's directory
	Profiles    []string // --profile; COMPOSE_PROFILES otherwise
	EnvFiles    []string // --env-file; default .env in the working directory
	Services    []string // keep only these services (and what they depend on)
	NoDeps      bool     // with Services: not what they depend on (up --no-deps)
}

// Load reads, merges, interpolates and validates the project's files. Errors
// carry the file and key (compose-go's messages) and are InvalidArgument.
func Load(ctx context.Context, o LoadOptions) (*types.Project, error) {
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(o.WorkingDir),
		cli.WithOsEnv,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithName(o.ProjectName),
		cli.WithDefaultProfiles(o.Profiles...),
		cli.WithResolvedPaths(true),
	}
	po, err := cli.NewProjectOptions(o.Files, opts...)
	if err != nil {
		return nil, classify(err, errdefs.ErrInvalidArgument)
	}
	p, err := po.LoadProject(ctx)
	if err != nil {
		return nil, classify(err, errdefs.ErrInvalidArgument)
	}
	if len(o.Services) > 0 {
		var deps []types.DependencyOption
		if o.NoDeps {
			deps = append(deps, types.IgnoreDependencies)
		}
		if p, err = p.WithSelectedServices(o.Services, deps...); err != nil {
			return nil, classify(err, errdefs.ErrNotFound)
		}
	}
	if err := graph.CheckCycle(p); err != nil {
		return nil, classify(err, errdefs.ErrInvalidArgument)
	}
	return p, nil
}

// ProjectName resolves the project name without loading files when they are
// absent (for down/ps on a project whose files are gone): -p, then
// COMPOSE_PROJECT_NAME.
func ProjectName(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv("COMPOSE_PROJECT_NAME")
}
