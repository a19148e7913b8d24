package main

import (
	"os"
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
	if len(c.Services["proxy"].Ports) != 1 {
		t.Errorf("the proxy publishes %v", c.Services["proxy"].Ports)
	}
}
