package network

import "testing"

func TestCustomizeResolvConf(t *testing.T) {
	host := "# generated\nnameserver 10.0.0.2\nsearch example.com\noptions ndots:2\n"
	for _, tc := range []struct {
		name                string
		ns, search, options []string
		want                string
	}{
		{"unchanged", nil, nil, nil, host},
		{"embedded dns", []string{"172.19.0.1"}, nil, nil, "# generated\nsearch example.com\noptions ndots:2\nnameserver 172.19.0.1\n"},
		{"all", []string{"1.1.1.1", "9.9.9.9"}, []string{"a.test", "b.test"}, []string{"timeout:1"},
			"# generated\nnameserver 1.1.1.1\nnameserver 9.9.9.9\nsearch a.test b.test\noptions timeout:1\n"},
		{"no search", nil, []string{"."}, nil, "# generated\nnameserver 10.0.0.2\noptions ndots:2\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(CustomizeResolvConf([]byte(host), tc.ns, tc.search, tc.options)); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
