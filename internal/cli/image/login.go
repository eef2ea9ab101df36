package image

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/berth-engine/berth/internal/cli/command"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type loginOptions struct {
	user, password string
	passwordStdin  bool
}

func newLoginCommand(c *command.CLI) *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry",
		Args:  command.RequiresRangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			return runLogin(cmd.Context(), c, o, server)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.user, "username", "u", "", "Username")
	fs.StringVarP(&o.password, "password", "p", "", "Password")
	fs.BoolVar(&o.passwordStdin, "password-stdin", false, "Take the password from stdin")
	return cmd
}

func runLogin(ctx context.Context, c *command.CLI, o loginOptions, server string) error {
	if o.passwordStdin {
		if o.password != "" {
			return command.InvalidArgument("--password and --password-stdin are mutually exclusive")
		}
		if o.user == "" {
			return command.InvalidArgument("Must provide --username with --password-stdin")
		}
		data, err := io.ReadAll(c.In)
		if err != nil {
			return err
		}
		o.password = strings.TrimRight(string(data), "\r\n")
	}
	if o.user == "" || o.password == "" {
		if err := prompt(c, &o); err != nil {
			return err
		}
	}
	api, err := c.Client(ctx)
	if err != nil {
		return err
	}
	key := serverKey(server)
	res, err := api.RegistryLogin(ctx, client.RegistryLoginOptions{Username: o.user, Password: o.password, ServerAddress: key})
	if err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	e := authEntry{Auth: base64.StdEncoding.EncodeToString([]byte(o.user + ":" + o.password))}
	if res.Auth.IdentityToken != "" {
		e = authEntry{Auth: base64.StdEncoding.EncodeToString([]byte(o.user + ":")), IdentityToken: res.Auth.IdentityToken}
	}
	cfg.auths[key] = e
	if err := cfg.save(); err != nil {
		return err
	}
	fmt.Fprintln(c.Out, "Login Succeeded")
	return nil
}

// prompt asks for what the flags left out (no echo control: read a line).
func prompt(c *command.CLI, o *loginOptions) error {
	if c.In == nil {
		return command.InvalidArgument("Cannot perform an interactive login from a non TTY device")
	}
	r := bufio.NewReader(c.In)
	if o.user == "" {
		fmt.Fprint(c.Out, "Username: ")
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			return command.InvalidArgument("Cannot perform an interactive login from a non TTY device")
		}
		o.user = strings.TrimSpace(line)
	}
	if o.password == "" {
		fmt.Fprint(c.Out, "Password: ")
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			return command.InvalidArgument("Error: Password Required")
		}
		o.password = strings.TrimRight(line, "\r\n")
		fmt.Fprintln(c.Out)
	}
	if o.user == "" {
		return command.InvalidArgument("Error: Non-null Username Required")
	}
	return nil
}

func newLogoutCommand(c *command.CLI) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Args:  command.RequiresRangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			key := serverKey(server)
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			if _, ok := cfg.auths[key]; !ok {
				fmt.Fprintf(c.Out, "Not logged in to %s\n", key)
				return nil
			}
			fmt.Fprintf(c.Out, "Removing login credentials for %s\n", key)
			delete(cfg.auths, key)
			return cfg.save()
		},
	}
}
