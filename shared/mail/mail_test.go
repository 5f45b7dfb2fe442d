package mail

import "testing"

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"550 5.1.1 <maria@example.com>: Recipient address rejected":       "550 5.1.1 <<redacted>>: Recipient address rejected",
		"failed the check in region eu-west-1: care+csat-1-abc@x.example": "failed the check in region eu-west-1: <redacted>",
		"to: José Núñez (jose.nunez@correo.es), cc: a@b":                  "to: José Núñez (<redacted>), cc: <redacted>",
		"no address here: 421 try again later":                            "no address here: 421 try again later",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
