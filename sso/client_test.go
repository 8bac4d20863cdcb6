package sso

import (
	"testing"

	"github.com/civicflow/civicflow/config"
)

// The claims mapping keeps a well-formed mobile number and only a vouched, well-formed ID number.
func TestIdentityFromClaims(t *testing.T) {
	c := New(config.OIDC{Issuer: "https://idp.example", ClientID: "x", ClaimName: "name", ClaimPhone: "phone_number",
		ClaimIDNumber: "id_card", ClaimIDVerified: "real_name_verified"}, "https://civicflow.example/login/sso/callback")
	for name, tc := range map[string]struct {
		claims    map[string]any
		phone, id string
	}{
		"vouched":                {map[string]any{"phone_number": "+86 138-0013-8000", "id_card": "11010519491231002x", "real_name_verified": true}, "13800138000", "11010519491231002X"},
		"vouched as text":        {map[string]any{"id_card": "110101200001011232", "real_name_verified": "true"}, "", "110101200001011232"},
		"not vouched":            {map[string]any{"id_card": "110101200001011232", "real_name_verified": false}, "", ""},
		"no verified claim":      {map[string]any{"id_card": "110101200001011232"}, "", ""},
		"bad checksum":           {map[string]any{"id_card": "110101200001011233", "real_name_verified": true}, "", ""},
		"landline":               {map[string]any{"phone_number": "024-12345678"}, "", ""},
		"claims of another type": {map[string]any{"phone_number": 13800138000, "id_card": 42, "real_name_verified": true}, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			tc.claims["name"] = "王芳"
			id := c.identity("https://idp.example", "sub-1", tc.claims)
			if id.Name != "王芳" || id.Phone != tc.phone || id.IDNumber != tc.id || id.Subject != "sub-1" {
				t.Fatalf("identity %+v, want phone %q and ID number %q", id, tc.phone, tc.id)
			}
		})
	}
	if New(config.OIDC{}, "") != nil {
		t.Fatal("a client without an issuer")
	}
	if got := c.Origin(); got != "https://idp.example" {
		t.Fatalf("origin %q", got)
	}
}
