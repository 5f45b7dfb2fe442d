package render

import (
	"fmt"
	"time"

	"github.com/aftercare/aftercare/shared/domain"
)

// sampleRatings are rating links of the shape the respond function mints.
func sampleRatings(s domain.SurveyKind) []Rating {
	var out []Rating
	for _, score := range s.Scores() {
		out = append(out, Rating{Score: score, URL: fmt.Sprintf("https://care.example/r/tok%d?x=1&y=2", score)})
	}
	return out
}

// Sample is a request for template in locale with every field the template
// shows filled in with believable data, so that a preview (the console's,
// aftercare-admin preview) and the golden files show each email as a
// customer or the team would get it. A template without a case of its own
// still renders, with the common fields.
func Sample(template, locale string) Request {
	req := Request{
		Template: template, Locale: locale, Survey: domain.SurveyCSAT, Ratings: sampleRatings(domain.SurveyCSAT),
		TimeZone: "Europe/Athens",
		// Every golden carries one; the team alert must not show it.
		UnsubscribeURL: "https://care.example/u/tok-u?x=1&y=2",
	}
	switch template {
	case "thank_you":
		req.CustomerName, req.Title, req.Location, req.Agent = "María Papadopoulou", "Sunset kayak tour", "Old Port, Chania", "Nikos"
		req.StartsAt = time.Date(2026, 11, 20, 16, 30, 0, 0, time.UTC)
	case "satisfaction":
		req.CustomerName, req.Title, req.Agent = "Jane O'Neil", "Refund for order #4417", "Elena"
	case "reminder":
		req.CustomerName, req.Title = "María Papadopoulou", "Sunset kayak tour"
	case "recovery":
		// No survey named: recovery asks for CSAT by default.
		req.Survey = domain.SurveyNone
		req.CustomerName, req.Title, req.Agent = "Jane O'Neil", "Refund for order #4417", "Elena"
	case "acknowledgement":
		// The comment and the ratings are given and must not appear.
		req.CustomerName, req.Title = "María Papadopoulou", "Sunset kayak tour"
		req.Comment = "The boat left 40 minutes late."
	case "team_alert":
		req.Cause, req.Score = CauseNegativeAnswer, 2
		req.CustomerName, req.CustomerEmail = "María Papadopoulou", "maria@example.com"
		req.Title, req.Kind, req.Provider, req.Ref, req.Status = "Sunset sailing", "booking", "calcom", "BK-1042", "completed"
		req.Reasons = []string{"waiting", "communication"}
		req.Comment = "The boat left 40 minutes late.\r\nNobody told us why.\r\n\r\n\r\nThe crew was lovely, though."
		req.TimelineURL = "https://care.example/team/incidents/inc_7f3a?from=alert&x=1"
	case "team_signin":
		req.TimelineURL = "https://care.example/team/signin/tok-s?x=1&y=2"
	case "team_message":
		req.CustomerName, req.Title = "María Papadopoulou", "Sunset kayak tour"
		req.Message = "We are so sorry the boat left late.\nThe captain has explained what happened.\n\nWe have refunded 20% of the tour to your card."
	case "loyalty_note":
		req.Ratings, req.Survey = nil, ""
		req.CustomerName, req.LoyaltyCount = "María Papadopoulou", 3
		req.LoyaltySince = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
		req.OfferCode, req.OfferText = "THANKS3-7QK3-M2XA", "15 %"
	case "missed_you":
		req.Ratings, req.Survey = nil, ""
		req.CustomerName, req.Title, req.BookingLink = "Jane O'Neil", "Sunset kayak tour", "https://seabreeze.example/book?from=missed&x=1"
	case "review_invite":
		// Ratings are given and must not appear: an invitation asks nothing.
		req.CustomerName, req.Title = "María Papadopoulou", "Sunset kayak tour"
		req.ReviewURL, req.ReviewSites = "https://care.example/v/tok-v?x=1&y=2", []string{"Google", "Tripadvisor"}
	case "pre_arrival":
		req.Ratings, req.Survey = nil, ""
		req.CustomerName, req.Title, req.Location, req.Agent = "María Papadopoulou", "Sunset kayak tour", "Old Port, Chania & Pier 3", "Nikos"
		req.StartsAt = time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC) // 16:30 EET
		req.EndsAt = req.StartsAt.Add(3 * time.Hour)
		req.Advice = "Bring a swimsuit, a towel and sun cream.\nWe provide life jackets.\n\nMeet at the blue kiosk 15 minutes early."
	}
	return req
}
