package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Providers are the external sign-in providers. Each one is enabled when its
// settings are present (nil means disabled); partial settings are an error.
type Providers struct {
	// OIDC is any OpenID Connect provider found by discovery from its
	// issuer: Keycloak, a national eID broker, an organisation's IdP.
	OIDC *OIDCProvider
	// Entra is Microsoft Entra ID (work and school accounts).
	Entra *EntraProvider
	// Google, GitHub and LinkedIn need only a client ID and secret.
	Google   *OAuthClient
	GitHub   *OAuthClient
	LinkedIn *OAuthClient
}

// OAuthClient is the portal's registration at a provider.
type OAuthClient struct {
	ClientID     string
	ClientSecret string
}

// OIDCProvider is a generic OpenID Connect provider.
type OIDCProvider struct {
	OAuthClient
	// Issuer is the issuer URL; its /.well-known/openid-configuration is read.
	Issuer string // PORTAL_OIDC_ISSUER
	// Name labels the sign-in button; empty gives a generic label.
	Name string // PORTAL_OIDC_NAME
}

// EntraProvider is a Microsoft Entra ID application registration.
type EntraProvider struct {
	OAuthClient
	// Tenant is a directory (tenant) ID or domain, or one of the multi-tenant
	// values common, organizations and consumers.
	Tenant string // PORTAL_ENTRA_TENANT
}

// Any reports whether at least one provider is enabled.
func (p Providers) Any() bool {
	return p.OIDC != nil || p.Entra != nil || p.Google != nil || p.GitHub != nil || p.LinkedIn != nil
}

// loadProviders reads the PORTAL_{OIDC,ENTRA,GOOGLE,GITHUB,LINKEDIN}_*
// variables. A provider none of whose variables is set stays disabled; one
// with some but not all of them stops start-up with the missing variable.
// Administrative commands (ModeCLI) sign nobody in and skip them.
func loadProviders(mode Mode, env Env) (Providers, error) {
	var p Providers
	if mode == ModeCLI {
		return p, nil
	}
	get := func(k string) string { v, _ := env(k); return strings.TrimSpace(v) }

	// group reads one provider's settings; it returns ok=false when none is set.
	group := func(prefix string, extra ...string) (vals map[string]string, ok bool, err error) {
		vals = map[string]string{}
		names := append(append([]string{}, extra...), prefix+"_CLIENT_ID")
		for _, n := range names {
			vals[n] = get(n)
		}
		sec, err := secret(env, prefix+"_CLIENT_SECRET")
		if err != nil {
			return nil, false, err
		}
		vals[prefix+"_CLIENT_SECRET"] = sec
		names = append(names, prefix+"_CLIENT_SECRET")
		var set []string
		for _, n := range names {
			if vals[n] != "" {
				set = append(set, n)
			}
		}
		if len(set) == 0 {
			return nil, false, nil
		}
		for _, n := range names {
			if vals[n] == "" {
				hint := ""
				if strings.HasSuffix(n, "_CLIENT_SECRET") {
					hint = " (or " + n + "_FILE)"
				}
				return nil, false, fmt.Errorf("%s: missing; %s is set, so set %s%s too, or unset %s to disable this sign-in provider",
					n, set[0], n, hint, strings.Join(set, " and "))
			}
		}
		return vals, true, nil
	}

	v, ok, err := group("PORTAL_OIDC", "PORTAL_OIDC_ISSUER")
	if err != nil {
		return p, err
	}
	if ok {
		p.OIDC = &OIDCProvider{
			OAuthClient: OAuthClient{v["PORTAL_OIDC_CLIENT_ID"], v["PORTAL_OIDC_CLIENT_SECRET"]},
			Issuer:      v["PORTAL_OIDC_ISSUER"], // exactly as the provider writes it in tokens
			Name:        get("PORTAL_OIDC_NAME"),
		}
	} else if get("PORTAL_OIDC_NAME") != "" {
		return p, fmt.Errorf("PORTAL_OIDC_ISSUER: missing; PORTAL_OIDC_NAME is set, so set PORTAL_OIDC_ISSUER, PORTAL_OIDC_CLIENT_ID and PORTAL_OIDC_CLIENT_SECRET too, or unset PORTAL_OIDC_NAME")
	}
	if v, ok, err = group("PORTAL_ENTRA", "PORTAL_ENTRA_TENANT"); err != nil {
		return p, err
	} else if ok {
		p.Entra = &EntraProvider{
			OAuthClient: OAuthClient{v["PORTAL_ENTRA_CLIENT_ID"], v["PORTAL_ENTRA_CLIENT_SECRET"]},
			Tenant:      v["PORTAL_ENTRA_TENANT"],
		}
	}
	for _, o := range []struct {
		prefix string
		dst    **OAuthClient
	}{{"PORTAL_GOOGLE", &p.Google}, {"PORTAL_GITHUB", &p.GitHub}, {"PORTAL_LINKEDIN", &p.LinkedIn}} {
		if v, ok, err = group(o.prefix); err != nil {
			return p, err
		} else if ok {
			*o.dst = &OAuthClient{v[o.prefix+"_CLIENT_ID"], v[o.prefix+"_CLIENT_SECRET"]}
		}
	}
	return p, p.Validate()
}

// Validate checks the values of the enabled providers.
func (p Providers) Validate() error {
	if p.OIDC != nil {
		u, err := url.Parse(p.OIDC.Issuer)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
			(u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			return fmt.Errorf("PORTAL_OIDC_ISSUER: %q must be the provider's https issuer URL, such as https://id.example.org/realms/buyers (its /.well-known/openid-configuration is read)", p.OIDC.Issuer)
		}
		if len(p.OIDC.Name) > 60 {
			return fmt.Errorf("PORTAL_OIDC_NAME: too long (%d characters); use a short label such as \"EU Login\"", len(p.OIDC.Name))
		}
	}
	if p.Entra != nil && !validTenant(p.Entra.Tenant) {
		return fmt.Errorf("PORTAL_ENTRA_TENANT: %q is not a directory (tenant) ID, a domain such as contoso.onmicrosoft.com, or one of common, organizations, consumers", p.Entra.Tenant)
	}
	return nil
}

// validTenant accepts a tenant GUID, a domain name or a multi-tenant keyword:
// letters, digits, dots and hyphens, as they become part of a URL path.
func validTenant(t string) bool {
	if t == "" || len(t) > 253 || strings.HasPrefix(t, ".") || strings.Contains(t, "..") {
		return false
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}
