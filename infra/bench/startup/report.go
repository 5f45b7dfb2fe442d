package startup

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Median returns the middle of the samples (the mean of the two middle ones
// for an even count). The median, not the mean, is reported because one
// start delayed by the scheduler would otherwise move the figure.
func Median(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(samples))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100): the
// smallest sample at least p% of the samples are no greater than. It never
// interpolates, so the figure is always a start that actually happened.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(samples))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// Row is one binary in the report.
type Row struct {
	Name string
	// ArmSize and HostSize are the file sizes of the linux/arm64 bootstrap
	// and of the host build that was timed, in bytes.
	ArmSize, HostSize int64
	// BuildErr is set when either build failed; the row then has no timing.
	BuildErr error
	Result   Result
	// Floor names the row of the start-up floor this binary is compared
	// with (empty for the baseline and the floors themselves): hello plus
	// the design card's packages and the secret read the binary cannot do
	// without, so that what the binary adds on top shows apart from what
	// no implementation could avoid.
	Floor string
}

func (r Row) err() error {
	if r.BuildErr != nil {
		return fmt.Errorf("build: %w", r.BuildErr)
	}
	if r.Result.Err != nil {
		return fmt.Errorf("start-up: %w", r.Result.Err)
	}
	return nil
}

// Report is a whole `make bench` start-up run. Rows[0] is the hello-world
// baseline every ratio refers to.
type Report struct {
	Rows             []Row
	Runs, Warmup     int
	HostOS, HostArch string
	GoVersion        string
	CPU              string
	CPUs             int
	// Load is the 1-minute load average when timing began: absolute times
	// on a busy machine are inflated, ratios much less so.
	Load string
	// BuildFlags are the go build flags every binary was built with.
	BuildFlags string
}

// Failed reports whether any binary failed to build or to start, so the
// command can exit non-zero after printing the table.
func (r Report) Failed() bool {
	return slices.ContainsFunc(r.Rows, func(row Row) bool { return row.err() != nil })
}

// Markdown renders the report as a paragraph and a table meant to be pasted
// into the README as is, followed by the failures in full.
func (r Report) Markdown() string {
	var b strings.Builder
	host := r.HostOS + "/" + r.HostArch
	crossed := host != "linux/arm64"
	var about []string
	if r.CPU != "" {
		about = append(about, r.CPU)
	}
	if r.CPUs > 0 {
		about = append(about, fmt.Sprintf("%d CPUs", r.CPUs))
	}
	if r.Load != "" {
		about = append(about, "load average "+r.Load)
	}
	machine := host
	if len(about) > 0 {
		machine += " (" + strings.Join(about, ", ") + ")"
	}
	fmt.Fprintf(&b, "Measured by `make bench` on %s with %s: %d timed starts per binary after %d warm-up, interleaved.\n",
		machine, r.GoVersion, r.Runs, r.Warmup)
	b.WriteString("Start-up is the time from exec until the process asks the Lambda Runtime API for its first event " +
		"(`GET /2018-06-01/runtime/invocation/next`), served by a fake Runtime API, with a fake AWS endpoint on " +
		"127.0.0.1 answering any call made at init.\n")
	if crossed {
		fmt.Fprintf(&b, "**Start-up is timed on %s builds**, since the deployed linux/arm64 bootstraps cannot run on this "+
			"host; they are built with the same flags (`CGO_ENABLED=0 go build %s`). "+
			"Sizes are given for both: the linux/arm64 `bootstrap` that is deployed and the %s build that was timed.\n",
			host, r.BuildFlags, host)
	}
	b.WriteString("Ratios (×) are to a hello-world aws-lambda-go function built and measured the same way in the same run.\n")
	floors := map[string]Row{}
	for _, row := range r.Rows {
		if row.Floor != "" {
			floors[row.Floor] = Row{}
		}
	}
	for _, row := range r.Rows {
		if _, ok := floors[row.Name]; ok {
			floors[row.Name] = row
		}
	}
	if len(floors) > 0 {
		b.WriteString("The floor-* rows are hello plus only what a function of their kind cannot do without: the design card's " +
			"AWS clients and hermes, and the cold-start read of a secret from Parameter Store; \"vs floor\" is a function's start-up " +
			"as a ratio to its floor's, which is what Aftercare's own code and its other dependencies add.\n")
	}
	b.WriteString("\n")

	timed := host + " build (timed)"
	if !crossed {
		timed = "timed build"
	}
	fmt.Fprintf(&b, "| binary | linux/arm64 bootstrap | %s | start-up median | start-up p90 | vs floor | AWS calls before first event |\n", timed)
	b.WriteString("|---|---:|---:|---:|---:|---:|---|\n")

	base := r.Rows[0]
	baseOK := base.err() == nil
	for i, row := range r.Rows {
		name := row.Name
		if i == 0 {
			name += " (baseline)"
		}
		var cells []string
		if row.BuildErr != nil {
			cells = []string{"build failed", "build failed", "—", "—", "—", "—"}
		} else {
			cells = []string{
				withRatio(mib(row.ArmSize), float64(row.ArmSize), float64(base.ArmSize), base.BuildErr == nil),
				withRatio(mib(row.HostSize), float64(row.HostSize), float64(base.HostSize), base.BuildErr == nil),
			}
			if row.Result.Err != nil {
				cells = append(cells, "**failed**", "**failed**", "—", "—")
			} else {
				med := Median(row.Result.Samples)
				vsFloor := "—"
				if f, ok := floors[row.Floor]; ok && f.err() == nil {
					if fm := Median(f.Result.Samples); fm > 0 {
						vsFloor = fmt.Sprintf("%.2f× %s", float64(med)/float64(fm), row.Floor)
					}
				}
				cells = append(cells,
					withRatio(ms(med), float64(med), float64(Median(base.Result.Samples)), baseOK),
					ms(Percentile(row.Result.Samples, 90)),
					vsFloor,
					summarizeCalls(row.Result.AWSCalls),
				)
			}
		}
		fmt.Fprintf(&b, "| %s | %s |\n", name, strings.Join(cells, " | "))
	}

	var failures []string
	for _, row := range r.Rows {
		if err := row.err(); err != nil {
			failures = append(failures, fmt.Sprintf("- **%s**: %s", row.Name, oneLine(err.Error())))
		}
	}
	if len(failures) > 0 {
		b.WriteString("\nFailures:\n\n")
		b.WriteString(strings.Join(failures, "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func withRatio(s string, v, base float64, ok bool) string {
	if !ok || base == 0 {
		return s
	}
	return fmt.Sprintf("%s (%.2f×)", s, v/base)
}

// apiVersion matches the version suffix of a JSON-protocol target prefix,
// as in DynamoDB_20120810.
var apiVersion = regexp.MustCompile(`_\d{8}$`)

// summarizeCalls turns the recorded operations into a short cell:
// "AmazonSSM.GetParameters" twice becomes "SSM.GetParameters ×2".
func summarizeCalls(calls []string) string {
	if len(calls) == 0 {
		return "none"
	}
	var order []string
	count := map[string]int{}
	for _, c := range calls {
		if svc, op, ok := strings.Cut(c, "."); ok && !strings.Contains(c, " ") {
			svc = apiVersion.ReplaceAllString(strings.TrimPrefix(svc, "Amazon"), "")
			c = svc + "." + op
		}
		if count[c] == 0 {
			order = append(order, c)
		}
		count[c]++
	}
	for i, c := range order {
		if n := count[c]; n > 1 {
			order[i] = fmt.Sprintf("%s ×%d", c, n)
		}
	}
	return strings.Join(order, ", ")
}

// oneLine keeps a failure inside one markdown list item.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
