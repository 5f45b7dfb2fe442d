package domain

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Entry is one line of an incident's timeline: what happened, when.
type Entry struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Step   string    `json:"step,omitempty"`
	Detail string    `json:"detail,omitempty"`
	// Ref points at what the entry is about outside the incident, e.g.
	// where a reply's raw message is kept.
	Ref string `json:"ref,omitempty"`
	// From is the sender of a reply that did not come from the customer.
	From string `json:"from,omitempty"`
	// By is the team member who acted (team actions only).
	By string `json:"by,omitempty"`
}

// Timeline entry kinds.
const (
	EntryEvent       = "event"
	EntryStale       = "event_out_of_order"
	EntryScheduled   = "scheduled"
	EntryUnscheduled = "unscheduled"
	EntrySent        = "sent"
	EntrySendFailed  = "send_failed"
	EntryAnswer      = "answer"
	EntryComment     = "comment"
	EntryReasons     = "reasons"
	EntryReply       = "reply"
	EntryEscalated   = "escalated"
	EntryRecovered   = "recovered"
	EntryUnrecovered = "not_recovered"
	// EntryImproved: a negative answer was changed to a good one.
	EntryImproved = "answer_improved"
	// EntryForeignReply: a reply from somebody other than the customer.
	EntryForeignReply = "reply_other_sender"
	// EntryAutoReply: an automatic answer (out of office and the like).
	EntryAutoReply = "auto_reply"
	// EntryConsent: the person unsubscribed or resubscribed.
	EntryConsent = "consent"
	// EntryMailEvent: the mail system reported a bounce or a complaint.
	EntryMailEvent = "mail_event"
)

// Size budget of one incident. DynamoDB refuses items over 400 KB and a
// customer controls what they write (comments, replies, score flips), so
// every list the incident keeps is bounded, by count and by bytes, and the
// whole stays well under MaxEncodedSize however it is driven.
const (
	// MaxEncodedSize is what an incident's JSON stays under.
	MaxEncodedSize = 64 << 10
	// MaxReply bounds the reply text kept on the timeline, in bytes.
	MaxReply = 4000
	// MaxComment bounds a customer's comment, in bytes.
	MaxComment = 4000

	maxSeen           = 64
	maxSeenID         = 40
	maxTimeline       = 200
	maxTimelineBytes  = 20 << 10
	maxEscalations    = 10
	maxEscalationText = 600
	maxEntryText      = 300
	maxErrorText      = 300
	maxRefText        = 320
	maxSteps          = 48
	maxCommented      = 4
	// Budgets of the customer's words kept outside the timeline, in
	// encoded bytes: the comments on answers, the texts of escalations.
	maxCommentBytes    = 12 << 10
	maxEscalationBytes = 6 << 10
)

// Encode is the incident's stored form, the same for every store: JSON
// without HTML escaping (a comment full of "<" would otherwise cost six
// bytes a character, and the budgets above count one).
func Encode(inc Incident) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(inc); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// trimTexts keeps the customer's words held outside the timeline within
// their budgets: the newest answers keep their whole comment and older
// ones are cut to their beginning; the newest escalations keep their text
// and older ones are cut short (the timeline and the raw messages keep
// more). Nothing here decides anything, so cutting is safe.
func (inc *Incident) trimTexts() {
	if len(inc.Answers) > 0 {
		keys := slices.Collect(maps.Keys(inc.Answers))
		slices.SortFunc(keys, func(a, b string) int {
			if c := inc.Answers[b].AnsweredAt.Compare(inc.Answers[a].AnsweredAt); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		total := 0
		for i, k := range keys {
			a := inc.Answers[k]
			if i >= maxCommented || total+jsonLen(a.Comment) > maxCommentBytes {
				if c := truncate(a.Comment, maxEntryText/2); c != a.Comment {
					a.Comment = c
					inc.Answers[k] = a
				}
			}
			total += jsonLen(a.Comment)
		}
	}
	total := 0
	for i := len(inc.Escalations) - 1; i >= 0; i-- {
		e := &inc.Escalations[i]
		if total+jsonLen(e.Text) > maxEscalationBytes {
			e.Text = truncate(e.Text, maxEntryText/3)
		}
		total += jsonLen(e.Text)
	}
}

// record appends an entry to the timeline and keeps the timeline within
// its budget: the oldest entries go first, counted in TimelineDropped so
// the timeline can say how many were let go.
func (inc *Incident) record(e Entry) {
	inc.Timeline = append(inc.Timeline, e)
	inc.trimTexts()
	size := 0
	for _, x := range inc.Timeline {
		size += entrySize(x)
	}
	drop := 0
	for len(inc.Timeline)-drop > 1 && (len(inc.Timeline)-drop > maxTimeline || size > maxTimelineBytes) {
		size -= entrySize(inc.Timeline[drop])
		drop++
	}
	if drop > 0 {
		inc.Timeline = slices.Delete(inc.Timeline, 0, drop)
		inc.TimelineDropped += drop
	}
}

// entrySize is an entry's JSON size, escapes included, near enough.
func entrySize(e Entry) int {
	return 64 + jsonLen(e.Kind) + jsonLen(e.Step) + jsonLen(e.Detail) + jsonLen(e.Ref) + jsonLen(e.From) + jsonLen(e.By)
}

// jsonLen is the length of s as a JSON string body written by Encode.
func jsonLen(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t':
			n += 2
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			n += 6
		case r == utf8.RuneError:
			n += 6
		default:
			n += utf8.RuneLen(r)
		}
	}
	return n
}

// Record appends an entry to the timeline, keeping it bounded.
func (inc *Incident) Record(at time.Time, kind, step, detail string) {
	inc.record(Entry{At: at, Kind: kind, Step: step, Detail: truncate(detail, maxEntryText)})
}

// RecordMailEvent notes what the mail system reported about a message
// (a bounce, a complaint, a delay), once per event id (ref); it reports
// whether it was new.
func (inc *Incident) RecordMailEvent(at time.Time, step, detail, ref string) bool {
	if ref != "" && slices.ContainsFunc(inc.Timeline, func(e Entry) bool { return e.Kind == EntryMailEvent && e.Ref == ref }) {
		return false
	}
	inc.record(Entry{At: at, Kind: EntryMailEvent, Step: step, Detail: truncate(detail, maxEntryText), Ref: truncate(ref, 128)})
	return true
}

// cycleOf reads the cycle or escalation number a step key ends with
// ("csat-2" → 2, "csat-2-r" → 2, "alert-7" → 7); -1 if none.
func cycleOf(key string) int {
	key = strings.TrimSuffix(key, "-r")
	i := strings.LastIndexByte(key, '-')
	if i < 0 || i == len(key)-1 {
		return -1
	}
	for j := i + 1; j < len(key); j++ {
		if !digit(key[j]) {
			return -1
		}
	}
	n, err := strconv.Atoi(key[i+1:])
	if err != nil {
		return -1
	}
	return n
}

// compactSteps keeps the step records within budget. Beyond maxSteps it
// drops, oldest first, only records Plan can never want again: steps of
// cycles before the current one, alerts and webhook posts of escalations
// no longer kept, acknowledgements of closed episodes. (Their rating links
// then stop working; they are long past their window by then.)
func (inc *Incident) compactSteps() {
	if len(inc.Steps) > maxSteps {
		_, cycle, _ := effectiveResolution(*inc)
		minEsc, episode := 1<<30, inc.Episodes
		for _, e := range inc.Escalations {
			minEsc = min(minEsc, e.N)
		}
		if inc.Attention != nil {
			episode = inc.Attention.Episode
		}
		var old []string
		for k, st := range inc.Steps {
			if st.Status == StepSending {
				continue
			}
			n := cycleOf(k)
			switch {
			case strings.HasPrefix(k, "alert-"), strings.HasPrefix(k, "hook-"):
				if n >= minEsc {
					continue
				}
			case strings.HasPrefix(k, "ack-"):
				if n >= episode {
					continue
				}
			case strings.HasPrefix(k, teamMessagePrefix):
				// Numbered by Team.Messages, not by cycle: any but the
				// latest may go.
				if inc.Team == nil || n >= inc.Team.Messages {
					continue
				}
			default:
				if n < 0 || n >= cycle {
					continue
				}
			}
			old = append(old, k)
		}
		slices.SortFunc(old, func(a, b string) int {
			if c := cycleOf(a) - cycleOf(b); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for _, k := range old {
			if len(inc.Steps) <= maxSteps {
				break
			}
			delete(inc.Steps, k)
		}
	}
}

// seenKey is how an event id is kept in Seen: as it is when short, else as
// a short hash, so 64 remembered deliveries cost a few kilobytes whatever
// ids a sender uses.
func seenKey(id string) string {
	if len(id) <= maxSeenID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h:" + idEncoding.EncodeToString(sum[:15])
}
