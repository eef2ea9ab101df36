package build

import "testing"

func TestFamiliarTag(t *testing.T) {
	for in, want := range map[string]string{
		"web":                     "web:latest",
		"web:1":                   "web:1",
		"docker.io/library/web":   "web:latest",
		"127.0.0.1:5000/a/b":      "127.0.0.1:5000/a/b:latest",
		"127.0.0.1:5000/a/b:v2":   "127.0.0.1:5000/a/b:v2",
		"Not A Valid Reference!!": "Not A Valid Reference!!",
	} {
		if got := familiarTag(in); got != want {
			t.Errorf("familiarTag(%q) = %q, want %q", in, got, want)
		}
	}
}
