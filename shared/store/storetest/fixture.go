package storetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// Texts that break naive encoders: Greek and Spanish (the first languages
// customers write in), emoji outside the BMP, characters JSON escapes, and
// a line separator that some encoders mangle.
var texts = []string{
	"Ευχαριστούμε πολύ για τη διαμονή σας στη Σαντορίνη! Ήταν όλα τέλεια;",
	"¡Gracias por su reserva en Sevilla! ¿Qué tal la habitación, señora Núñez?",
	"Η κράτηση μετακινήθηκε — la reserva se movió 😊👍🏽",
	`<b>"quoted" & 'single'</b> \backslash\ tab	end`,
	"line one\nline two\r\nline\u2028three",
}

// richIncident fills every field of an incident, with zero and non-zero
// times side by side and a timeline at the domain's 500-entry bound, so
// that a round trip shows any field an adapter drops or reshapes.
func richIncident(id string) domain.Incident {
	athens := time.FixedZone("EEST", 3*60*60)
	created := time.Date(2025, 7, 14, 8, 0, 0, 0, time.UTC)
	inc := domain.Incident{
		ID:       id,
		Provider: "calcom",
		Ref:      "booking/Ω-ñ-42",
		Kind:     domain.KindBooking,
		Status:   domain.StatusCompleted,
		Customer: domain.Customer{
			Email:    "maria.papadopoulou@example.gr",
			Name:     "Μαρία Παπαδοπούλου",
			Locale:   "el-GR",
			TimeZone: "Europe/Athens",
		},
		Title:    "Ξενάγηση στην Ακρόπολη / Visita guiada",
		Location: "Πλάκα, Αθήνα",
		Agent:    "José Ñúñez García",
		StartsAt: time.Date(2025, 7, 20, 10, 0, 0, 0, athens),
		// EndsAt stays zero: an omitted time must come back zero.
		CreatedAt:   created,
		UpdatedAt:   created.Add(36*time.Hour + 987654321),
		LastEventAt: created.Add(35 * time.Hour),
		Cycle:       2,
		ResolvedAt:  time.Date(2025, 7, 20, 12, 30, 0, 1, time.UTC),
		Steps: map[string]domain.StepState{
			"c2.csat": {Status: domain.StepSent, ClaimedAt: created.Add(time.Hour), SentAt: created.Add(time.Hour + time.Second), MessageID: "0100019-abc@email.amazonses.com"},
			"c2.nps":  {Status: domain.StepSending, ClaimedAt: created.Add(2 * time.Hour)},
			"c1.csat": {Status: domain.StepFailed, Error: "MessageRejected: Η διεύθυνση δεν επαληθεύτηκε"},
		},
		Answers: map[string]domain.Answer{
			"c2.csat": {Survey: domain.SurveyCSAT, Score: 5, Comment: texts[0] + " " + texts[2], AnsweredAt: created.Add(3 * time.Hour)},
			"c1.csat": {Survey: domain.SurveyCSAT, Score: 1, AnsweredAt: created.Add(4 * time.Hour)},
			"c2.nps":  {Survey: domain.SurveyNPS, Score: 0, Comment: strings.Repeat("ñ", domain.MaxComment/2)},
		},
	}
	for i := range 64 {
		inc.Seen = append(inc.Seen, fmt.Sprintf("evt_%03d_%s", i, strings.Repeat("x", i%7)))
	}
	kinds := []string{domain.EntryEvent, domain.EntryScheduled, domain.EntrySent, domain.EntryAnswer, domain.EntryComment}
	for i := range 500 {
		e := domain.Entry{
			At:     created.Add(time.Duration(i)*time.Minute + time.Duration(i)),
			Kind:   kinds[i%len(kinds)],
			Detail: fmt.Sprintf("%d: %s", i, texts[i%len(texts)]),
		}
		if i%3 == 0 {
			e.Step = "c2.csat"
		}
		if i%50 == 0 {
			e.Detail = ""
		}
		inc.Timeline = append(inc.Timeline, e)
	}
	return inc
}
