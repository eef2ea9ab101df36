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
	"slices"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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
	cacheFrom []string
	platform  string
	pull      bool
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
	command.StringListVarP(fs, &o.tags, "tag", "t", "Name and optionally a tag in the \"name:tag\" format")
	fs.StringVarP(&o.file, "file", "f", "", "Name of the Dockerfile (default: \"PATH/Dockerfile\")")
	command.StringListVar(fs, &o.buildArgs, "build-arg", "Set build-time variables")
	command.StringListVar(fs, &o.labels, "label", "Set metadata for an image")
	fs.BoolVar(&o.noCache, "no-cache", false, "Do not use cache when building the image")
	fs.StringVar(&o.target, "target", "", "Set the target build stage to build")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	fs.StringVar(&o.network, "network", "default", "Set the networking mode for the RUN instructions during build")
	fs.BoolVar(&o.rm, "rm", true, "Remove intermediate containers after a successful build")
	fs.BoolVar(&o.forceRm, "force-rm", false, "Always remove intermediate containers")
	fs.StringSliceVar(&o.cacheFrom, "cache-from", nil, "Images to consider as cache sources")
	fs.StringVar(&o.platform, "platform", os.Getenv("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	fs.BoolVar(&o.pull, "pull", false, "Always attempt to pull a newer version of the image")
	command.StringListVar(fs, &o.secrets, "secret", "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret|,env=VAR]\")")
	return cmd
}

// runBuild sends the context directory (or, for "-", the tar on stdin; for
// a git or http(s) URL, the URL for the daemon to fetch).
func runBuild(ctx context.Context, c *command.CLI, o buildOptions, dir string) error {
	dockerfile, excludes := o.file, []string(nil)
	remote := isRemoteContext(dir)
	if dir != "-" && !remote {
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
			client.WithHTTPHeaders(map[string]string{buildcontext.SecretsHeader: header}))
		if err != nil {
			return err
		}
		defer sc.Close()
		api = sc
	}
	var buildContext io.Reader = c.In
	if remote {
		buildContext = nil
	} else if dir != "-" {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(buildcontext.Tar(dir, dockerfile, excludes, pw)) }()
		defer pr.Close()
		buildContext = pr
	}
	opts := client.ImageBuildOptions{
		Tags: o.tags, Dockerfile: dockerfile, BuildArgs: keyValuePtrs(o.buildArgs), Labels: keyValues(o.labels),
		NoCache: o.noCache, Target: o.target, SuppressOutput: o.quiet, NetworkMode: o.network,
		Remove: o.rm, ForceRemove: o.forceRm, CacheFrom: o.cacheFrom, PullParent: o.pull,
	}
	if remote {
		opts.RemoteContext = dir
	}
	if o.platform != "" {
		p, err := parsePlatform(o.platform)
		if err != nil {
			return err
		}
		opts.Platforms = []ocispec.Platform{p}
	}
	res, err := api.ImageBuild(ctx, buildContext, opts)
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

// isRemoteContext: a git repository or an http(s) URL (as docker build
// reads its PATH | URL argument); the daemon fetches it.
func isRemoteContext(s string) bool {
	for _, p := range []string{"http://", "https://", "git://", "git@", "github.com/"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// parsePlatform reads os[/arch[/variant]] for the API (the daemon
// normalizes and checks it).
func parsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) > 3 || slices.Contains(parts, "") {
		return ocispec.Platform{}, fmt.Errorf("invalid platform %q: expected os[/arch[/variant]]", s)
	}
	p := ocispec.Platform{OS: parts[0]}
	if len(parts) == 1 {
		p = ocispec.Platform{OS: "linux", Architecture: parts[0]}
	}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}
