package local

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	netmail "net/mail"

	"github.com/aftercare/aftercare/infra/local/devenv"
	"github.com/aftercare/aftercare/shared/compose"
)

// devTeam is the address part of devenv.TeamEmail.
var devTeam = func() string {
	a, err := netmail.ParseAddress(devenv.TeamEmail)
	if err != nil {
		panic(err) // a constant: a defect if reached
	}
	return a.Address
}()

// Main runs the local runtime until ctx ends: what `make dev` starts. The
// command in cmd/aftercare-local only wires it to the process's signals,
// environment and stderr, so tests can start the very same thing as a
// child process (the fault-injection suite kills it at crash points).
func Main(ctx context.Context, getenv func(string) string, stderr io.Writer, log *slog.Logger) error {
	cfg, err := ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	rt, err := Open(cfg, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set AFTERCARE_ADDR to use another): %w", cfg.Addr, err)
	}
	fmt.Fprintf(stderr, "\nAftercare is running.\n  dev console:  http://%s/\n  data:         %s\n", ln.Addr(), cfg.DataDir)
	for _, p := range rt.Providers() {
		fmt.Fprintf(stderr, "  webhook:      POST http://%s/webhooks/%s\n", ln.Addr(), p)
	}
	fmt.Fprintf(stderr, "  replies:      POST http://%s/dev/api/inbound (a raw RFC 5322 message)\n", ln.Addr())
	if cfg.UsingDevSecret {
		fmt.Fprintf(stderr, "  secret:       %s (dev default; set AFTERCARE_WEBHOOK_SECRET)\n", cfg.WebhookSecrets[0])
	}
	for _, p := range compose.Providers[1:] {
		if s := cfg.ProviderSecrets[p.Name]; len(s) > 0 && s[0] == devenv.Defaults[p.Setting] {
			fmt.Fprintf(stderr, "  %-13s %s (dev default; set %s, or off)\n", p.Name+":", s[0], p.Setting)
		}
	}
	// The address itself is not printed: it may be a real person's.
	switch {
	case cfg.Team.Address == devTeam:
		fmt.Fprintf(stderr, "  team alerts:  to the dev team mailbox, in the outbox (dev default; set %s, or off)\n", EnvTeamEmail)
	case cfg.Team.Address != "":
		fmt.Fprintf(stderr, "  team alerts:  by email (%s)\n", EnvTeamEmail)
	default:
		fmt.Fprintf(stderr, "  team alerts:  none (set %s)\n", EnvTeamEmail)
	}
	fmt.Fprintf(stderr, "  try:          go run ./infra/cmd/post-webhook -now events/bodies/aftercare-booking-completed.json\n\n")
	return rt.Serve(ctx, ln)
}
