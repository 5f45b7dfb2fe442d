package domain

import "time"

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
