package compose

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/client"
)

// Docker Compose's labels; both tools find a project's resources by them.
const (
	LabelProject     = "com.docker.compose.project"
	LabelService     = "com.docker.compose.service"
	LabelNumber      = "com.docker.compose.container-number"
	LabelOneoff      = "com.docker.compose.oneoff"
	LabelConfigHash  = "com.docker.compose.config-hash"
	LabelWorkingDir  = "com.docker.compose.project.working_dir"
	LabelConfigFiles = "com.docker.compose.project.config_files"
	LabelNetwork     = "com.docker.compose.network"
	LabelVolume      = "com.docker.compose.volume"
	LabelVersion     = "com.docker.compose.version"
	LabelImage       = "com.docker.compose.image"
	LabelDependsOn   = "com.docker.compose.depends_on"
)

// Version is what com.docker.compose.version carries.
const Version = "2.30.0"

// ContainerName is <project>-<service>-<n>, or the service's container_name.
func ContainerName(project string, s types.ServiceConfig, n int) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return fmt.Sprintf("%s-%s-%d", project, s.Name, n)
}

// ServiceHash is the config-hash label: a digest of everything that makes
// up the service's containers, except what scaling and building change.
func ServiceHash(s types.ServiceConfig) (string, error) {
	s.Scale, s.Build, s.PullPolicy, s.DependsOn = nil, nil, "", nil
	if s.Deploy != nil {
		d := *s.Deploy
		d.Replicas = nil
		s.Deploy = &d
	}
	data, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// projectFilter selects the resources of project (excluding one-off
// containers unless oneoff).
func projectFilter(project string, oneoff bool) client.Filters {
	f := make(client.Filters).Add("label", LabelProject+"="+project)
	if !oneoff {
		f.Add("label", LabelOneoff+"=False")
	}
	return f
}

// containerNumber reads the container-number label (0 when absent).
func containerNumber(labels map[string]string) int {
	n, _ := strconv.Atoi(labels[LabelNumber])
	return n
}

// dependsOnLabel renders depends_on as Docker Compose does:
// service:condition:restart,...
func dependsOnLabel(s types.ServiceConfig) string {
	var parts []string
	for name, d := range s.DependsOn {
		parts = append(parts, fmt.Sprintf("%s:%s:%t", name, d.Condition, d.Restart))
	}
	return strings.Join(parts, ",")
}
