// Command aftercare-local runs the whole product on one machine: `make dev`.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/aftercare/aftercare/infra/local"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("aftercare-local stopped", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := local.ConfigFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	rt, err := local.Open(cfg, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set AFTERCARE_ADDR to use another): %w", cfg.Addr, err)
	}
	fmt.Fprintf(os.Stderr, "\nAftercare is running.\n  dev console:  http://%s/\n  data:         %s\n", ln.Addr(), cfg.DataDir)
	for _, p := range rt.Providers() {
		fmt.Fprintf(os.Stderr, "  webhook:      POST http://%s/webhooks/%s\n", ln.Addr(), p)
	}
	fmt.Fprintf(os.Stderr, "  replies:      POST http://%s/dev/api/inbound (a raw RFC 5322 message)\n", ln.Addr())
	if cfg.UsingDevSecret {
		fmt.Fprintf(os.Stderr, "  secret:       %s (dev default; set AFTERCARE_WEBHOOK_SECRET)\n", cfg.WebhookSecrets[0])
	}
	fmt.Fprintf(os.Stderr, "  try:          go run ./infra/cmd/post-webhook -now events/bodies/aftercare-booking-completed.json\n\n")
	return rt.Serve(ctx, ln)
}
