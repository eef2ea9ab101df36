package command

import (
	"strings"

	"github.com/spf13/pflag"
)

// StringListVar defines a repeatable string flag with no default, as
// pflag's StringArrayVar(fs, p, name, nil, usage) does (each use adds one
// value, commas included), and with the same type name in help.
//
// pflag's own renders the default of every such flag through a CSV writer
// with a 4 KiB buffer when the flag is defined: `run` has forty of them,
// and every CLI start that builds it paid for them (115 KB, a twentieth of
// the CLI's allocations).
func StringListVar(fs *pflag.FlagSet, p *[]string, name, usage string) {
	fs.Var(&stringList{p: p}, name, usage)
}

// StringListVarP is StringListVar with a one-letter shorthand.
func StringListVarP(fs *pflag.FlagSet, p *[]string, name, shorthand, usage string) {
	fs.VarP(&stringList{p: p}, name, shorthand, usage)
}

type stringList struct {
	p   *[]string
	set bool
}

func (l *stringList) Set(v string) error {
	if !l.set {
		*l.p, l.set = nil, true // the first use replaces the default
	}
	*l.p = append(*l.p, v)
	return nil
}

func (l *stringList) Type() string { return "stringArray" }

// String is empty for no values, so that help shows no default.
func (l *stringList) String() string {
	if len(*l.p) == 0 {
		return ""
	}
	return "[" + strings.Join(*l.p, ",") + "]"
}

// The pflag.SliceValue methods, for completion and flag.Value users.

func (l *stringList) Append(v string) error { *l.p = append(*l.p, v); return nil }

func (l *stringList) Replace(vs []string) error {
	*l.p = append([]string(nil), vs...)
	return nil
}

func (l *stringList) GetSlice() []string { return *l.p }
