package frontend

import "testing"

// Any Accept-Language header yields one of the UI languages.
func FuzzNegotiate(f *testing.F) {
	c, err := LoadCatalog(Locales())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"fr-BE,fr;q=0.9", "*", "", "de;q=x", "zz-ZZ-x-private", ",,,;;;", "nl;q=1.0000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if l := c.Negotiate(header); !Supported(l) {
			t.Fatalf("Negotiate(%q) = %q", header, l)
		}
	})
}
