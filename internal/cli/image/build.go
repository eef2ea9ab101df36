package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/berth-engine/berth/internal/buildcontext"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	buildrouter "github.com/berth-engine/berth/internal/server/router/build"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type buildOptions struct {
	tags      []string
	file      string
	buildArgs []string
	labels    []string
	noCache   bool
	target    string
	quiet     bool
	network   string
	rm        bool
	forceRm   bool
	secrets   []string
}

func newBuildCommand(c *command.CLI) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] PATH",
		Short: "Build an image from a Dockerfile",
		Args:  command.RequiresRangeArgs(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd.Context(), c, o, args[0])
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVarP(&o.tags, "tag", "t", nil, "Name and optionally a tag in the \"name:tag\" format")
	fs.StringVarP(&o.file, "file", "f", "", "Name of the Dockerfile (default: \"PATH/Dockerfile\")")
	fs.StringArrayVar(&o.buildArgs, "build-arg", nil, "Set build-time variables")
	fs.StringArrayVar(&o.labels, "label", nil, "Set metadata for an image")
	fs.BoolVar(&o.noCache, "no-cache", false, "Do not use cache when building the image")
	fs.StringVar(&o.target, "target", "", "Set the target build stage to build")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	fs.StringVar(&o.network, "network", "default", "Set the networking mode for the RUN instructions during build")
	fs.BoolVar(&o.rm, "rm", true, "Remove intermediate containers after a successful build")
	fs.BoolVar(&o.forceRm, "force-rm", false, "Always remove intermediate containers")
	fs.StringArrayVar(&o.secrets, "secret", nil, "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret|,env=VAR]\")")
	return cmd
}

// runBuild sends the context directory (or, for "-", the tar on stdin).
func runBuild(ctx context.Context, c *command.CLI, o buildOptions, dir string) error {
	dockerfile, excludes := o.file, []string(nil)
	if dir != "-" {
		var err error
		if dockerfile, err = dockerfileInContext(dir, o.file); err != nil {
			return err
		}
		if excludes, err = buildcontext.ReadDockerignore(dir); err != nil {
			return err
		}
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	if len(o.secrets) > 0 {
		header, err := secretsHeader(o.secrets)
		if err != nil {
			return err
		}
		sc, err := client.New(client.WithHost(c.Host), client.WithAPIVersionNegotiation(),
			client.WithHTTPHeaders(map[string]string{buildrouter.SecretsHeader: header}))
		if err != nil {
			return err
		}
		defer sc.Close()
		api = sc
	}
	var buildContext io.Reader = c.In
	if dir != "-" {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(buildcontext.Tar(dir, dockerfile, excludes, pw)) }()
		defer pr.Close()
		buildContext = pr
	}
	res, err := api.ImageBuild(ctx, buildContext, client.ImageBuildOptions{
		Tags: o.tags, Dockerfile: dockerfile, BuildArgs: keyValuePtrs(o.buildArgs), Labels: keyValues(o.labels),
		NoCache: o.noCache, Target: o.target, SuppressOutput: o.quiet, NetworkMode: o.network,
		Remove: o.rm, ForceRemove: o.forceRm,
	})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return command.DisplayStream(res.Body, c.Out)
}

// dockerfileInContext is -f as a path inside the context.
func dockerfileInContext(dir, file string) (string, error) {
	if file == "" {
		return "Dockerfile", nil
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absDir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("the Dockerfile (%s) must be within the build context (%s)", file, dir)
	}
	return filepath.ToSlash(rel), nil
}

// keyValuePtrs parses KEY=VALUE (KEY alone: taken from the environment).
func keyValuePtrs(list []string) map[string]*string {
	out := map[string]*string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			env, found := os.LookupEnv(k)
			if !found {
				out[k] = nil
				continue
			}
			v = env
		}
		out[k] = &v
	}
	return out
}

func keyValues(list []string) map[string]string {
	out := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// secretsHeader reads --secret values (id=…,src=file or env=VAR; a
// missing source reads the file or variable named like the id).
func secretsHeader(specs []string) (string, error) {
	out := map[string][]byte{}
	for _, spec := range specs {
		var id, src, env string
		for _, f := range strings.Split(spec, ",") {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "id":
				id = v
			case "src", "source":
				src = v
			case "env":
				env = v
			case "type":
			default:
				return "", fmt.Errorf("unexpected key %q in %q", k, spec)
			}
		}
		if id == "" {
			return "", fmt.Errorf("secret %q: id is required", spec)
		}
		switch {
		case env != "":
			v, ok := os.LookupEnv(env)
			if !ok {
				return "", fmt.Errorf("secret %s: environment variable %s is not set", id, env)
			}
			out[id] = []byte(v)
		default:
			if src == "" {
				src = id
			}
			data, err := os.ReadFile(src)
			if err != nil {
				return "", fmt.Errorf("secret %s: %w", id, err)
			}
			out[id] = data
		}
	}
	raw, err := json.Marshal(out)
	return base64.StdEncoding.EncodeToString(raw), err
}
