// Command aftercare-local runs the whole product on one machine: `make dev`.
// Unlike the runtime the tests start, it applies the dev defaults
// (infra/local/devenv): a team mailbox and a published secret per webhook
// provider, so that a newcomer sees alerts and can try every provider.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/infra/local/devenv"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := local.Main(ctx, devenv.Getenv(os.Getenv), os.Stderr, log); err != nil {
		log.Error("aftercare-local stopped", "error", err)
		stop()
		os.Exit(1)
	}
}
