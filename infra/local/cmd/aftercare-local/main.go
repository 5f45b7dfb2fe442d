// Command aftercare-local runs the whole product on one machine: `make dev`.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/aftercare/aftercare/infra/local"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := local.Main(ctx, os.Getenv, os.Stderr, log); err != nil {
		log.Error("aftercare-local stopped", "error", err)
		stop()
		os.Exit(1)
	}
}
