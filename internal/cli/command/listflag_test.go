package command

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestStringList: repeated uses add values (commas kept), no default in
// help, the type name of pflag's StringArray.
func TestStringList(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	var env, none []string
	StringListVarP(fs, &env, "env", "e", "Set environment variables")
	StringListVar(fs, &none, "label", "Set labels")
	if err := fs.Parse([]string{"-e", "A=1", "--env", "B=x,y"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(env, "|") != "A=1|B=x,y" || none != nil {
		t.Fatalf("env %q, label %q", env, none)
	}
	usage := fs.FlagUsages()
	if !strings.Contains(usage, "-e, --env stringArray") || strings.Contains(usage, "default") {
		t.Fatalf("usage:\n%s", usage)
	}
	if got := fs.Lookup("env").Value.String(); got != "[A=1,B=x,y]" {
		t.Fatalf("String() %q", got)
	}
}
