package command

import "github.com/spf13/cobra"

// Verb is a command known by name before it is built: a command line
// builds only the command it runs (run and create alone have a hundred
// flags each), the whole tree only for help and errors.
type Verb struct {
	Name string
	Make func(*CLI) *cobra.Command
}

// Verbs is a list of commands in the order help shows them.
type Verbs []Verb

// All builds every command.
func (vs Verbs) All(c *CLI) []*cobra.Command {
	out := make([]*cobra.Command, len(vs))
	for i, v := range vs {
		out[i] = v.Make(c)
	}
	return out
}

// Build builds the command called name, or returns nil.
func (vs Verbs) Build(c *CLI, name string) *cobra.Command {
	for _, v := range vs {
		if v.Name == name {
			return v.Make(c)
		}
	}
	return nil
}
