package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// compose.yaml cannot be run here (no container engine); this parses it
// and checks the shape the live rooms rely on.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			Ports       []string          `yaml:"ports"`
			Command     []string          `yaml:"command"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"mongo", "nats", "portal-a", "portal-b", "proxy"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	for _, name := range []string{"portal-a", "portal-b"} {
		s := c.Services[name]
		if s.Environment["PORTAL_NATS_URL"] != "nats://nats:4222" || s.Environment["MONGODB_URI"] == "" {
			t.Errorf("%s environment: %v", name, s.Environment)
		}
		if len(s.Ports) != 0 {
			t.Errorf("%s publishes ports; only the proxy should", name)
		}
	}
	proxy := c.Services["proxy"]
	if len(proxy.Ports) != 1 {
		t.Errorf("the proxy publishes %v", proxy.Ports)
	}
	// The proxy runs the configuration the cluster tests run
	// (scripts/cluster.sh), over both replicas.
	if len(proxy.Volumes) != 1 || !strings.HasPrefix(proxy.Volumes[0], "./deploy/nginx-portal.conf.template:/etc/nginx/templates/") {
		t.Errorf("the proxy's volumes %v do not mount deploy/nginx-portal.conf.template as a template", proxy.Volumes)
	}
	if proxy.Environment["PORTAL_UPSTREAM_A"] != "portal-a:8080" || proxy.Environment["PORTAL_UPSTREAM_B"] != "portal-b:8080" {
		t.Errorf("the proxy's upstreams: %v", proxy.Environment)
	}
	tmpl, err := os.ReadFile("deploy/nginx-portal.conf.template")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"${PORTAL_UPSTREAM_A}", "${PORTAL_UPSTREAM_B}", "${PORTAL_PROXY_LISTEN}", "$connection_upgrade"} {
		if !strings.Contains(string(tmpl), name) {
			t.Errorf("deploy/nginx-portal.conf.template lacks %s", name)
		}
	}
}
