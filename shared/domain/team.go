package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Handling is the team's work on an incident: who is on it, and when each
// attention episode was handled. It is what the dashboard shows beside the
// customer's words, and what the reports time from alert to handled on.
type Handling struct {
	// Owner is the team member on it ("ana@hotel.example" took it).
	Owner      string    `json:"owner,omitempty"`
	OwnerSince time.Time `json:"owner_since,omitzero"`
	// Handled lists the attention episodes marked handled, oldest first,
	// bounded (maxHandled).
	Handled []HandledEpisode `json:"handled,omitempty"`
	// Messages counts the team's messages to the customer ever written on
	// the incident; the Nth is step msg-N, whose Message-ID and reply
	// address derive from that key. It is counted here, not read off the
	// step records, because those are compacted and a reused key would
	// thread a new message into an old conversation.
	Messages int `json:"messages,omitempty"`
}

// HandledEpisode is one attention episode the team marked handled.
type HandledEpisode struct {
	Episode int `json:"episode"`
	// AlertedAt is when the episode's first alert was due (its first
	// escalation's At); At is when it was marked handled.
	AlertedAt time.Time `json:"alerted_at"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
}

// Timeline entry kinds of the team's actions; each entry carries who (By).
const (
	EntryTaken       = "taken"
	EntryNote        = "note"
	EntrySolution    = "solution"
	EntryHandled     = "handled"
	EntryTeamMessage = "team_message"
)

const maxHandled = 10

// ErrNoAttention is returned when marking handled an incident that does
// not wait for the team.
var ErrNoAttention = errors.New("the incident does not need the team's attention")

// maxTeamText bounds a note, a solution or a message kept on the timeline.
const maxTeamText = maxEntryText

func (inc *Incident) team() *Handling {
	if inc.Team == nil {
		inc.Team = &Handling{}
	}
	return inc.Team
}

// Take records that a team member is on the incident; taking what one
// already holds changes nothing (it reports false).
func (inc *Incident) Take(member string, now time.Time) bool {
	t := inc.team()
	if t.Owner == member {
		return false
	}
	prev := t.Owner
	t.Owner, t.OwnerSince = member, now
	inc.UpdatedAt = now
	detail := member + " is on it"
	if prev != "" {
		detail += " (was " + prev + ")"
	}
	inc.record(Entry{At: now, Kind: EntryTaken, Detail: truncate(detail, maxEntryText), By: member})
	return true
}

// Note adds an internal note (kind EntryNote) or what was done to solve
// the problem (EntrySolution) to the timeline, with who wrote it.
func (inc *Incident) Note(kind, member, text string, now time.Time) error {
	if kind != EntryNote && kind != EntrySolution {
		return fmt.Errorf("domain: %q is not a note kind", kind)
	}
	text = CleanText(text)
	if strings.TrimSpace(text) == "" {
		return errors.New("domain: the note is empty")
	}
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: kind, Detail: truncate(text, maxTeamText), By: member})
	return nil
}

// Handle marks the current attention episode handled: it leaves the
// team's queue and, once the incident is resolved, the recovery survey
// asks the customer whether it was fixed (a good answer then clears the
// attention). Marking an episode handled twice changes nothing.
func (inc *Incident) Handle(member string, now time.Time) (bool, error) {
	a := inc.Attention
	if a == nil {
		return false, ErrNoAttention
	}
	if _, done := inc.HandledAt(); done {
		return false, nil
	}
	alerted := a.Since
	for _, e := range inc.Escalations {
		if e.Episode == a.Episode {
			alerted = e.At
			break
		}
	}
	t := inc.team()
	t.Handled = append(t.Handled, HandledEpisode{Episode: a.Episode, AlertedAt: alerted, At: now, By: member})
	if len(t.Handled) > maxHandled {
		t.Handled = t.Handled[len(t.Handled)-maxHandled:]
	}
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryHandled, Detail: fmt.Sprintf("episode %d handled after %s", a.Episode, now.Sub(alerted).Round(time.Minute)), By: member})
	return true, nil
}

// NextTeamMessage reserves the step key of a new team message to the
// customer: msg-1, msg-2, … never reused. Incidents stored before the
// count existed continue after the highest msg-N their steps still hold.
func (inc *Incident) NextTeamMessage() string {
	t := inc.team()
	n := t.Messages
	for k := range inc.Steps {
		if strings.HasPrefix(k, teamMessagePrefix) {
			n = max(n, cycleOf(k))
		}
	}
	t.Messages = n + 1
	return fmt.Sprintf("%s%d", teamMessagePrefix, t.Messages)
}

// teamMessagePrefix starts the step key of every team message.
const teamMessagePrefix = "msg-"

// RecordTeamMessage notes on the timeline that a team member wrote to the
// customer, with the start of what they wrote.
func (inc *Incident) RecordTeamMessage(member, text, step string, now time.Time) {
	inc.UpdatedAt = now
	inc.record(Entry{At: now, Kind: EntryTeamMessage, Step: step, Detail: truncate(CleanText(text), maxTeamText), By: member})
}
