package outbox

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkSendParallel sends distinct messages from many goroutines, as
// the local scheduler's concurrent fires do: each is written, fsynced and
// linked into place.
func BenchmarkSendParallel(b *testing.B) {
	o, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := message()
			m.Tags = map[string]string{"incident": fmt.Sprintf("inc_%08d", n.Add(1)), "step": "thanks-1"}
			if _, err := o.Send(context.Background(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
