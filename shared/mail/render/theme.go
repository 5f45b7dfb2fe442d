package render

import (
	"strconv"

	"github.com/matcornic/hermes/v2"
)

// theme is Aftercare's own hermes.Theme. hermes' stock themes give each
// Action a single stacked button plus a "having trouble?" paragraph, which
// reads badly for a 1–5 scale; this one lays labelled rating choices out
// one per line, worst to best (five labels cannot share a phone's width
// unbroken), and the longer NPS and CES scales in one row of bare numbers
// with a hint.
//
// hermes hands a template only its own Hermes and Email values, and the
// theme is part of Hermes, so the parts hermes has no field for (language,
// rating choices, sign-off name, footer) travel in the theme value, which is
// built fresh for every render and reached in templates as
// .Hermes.Theme.View. Every field is data: html/template escapes it like any
// other value, and none of it is ever template source.
//
// The theme itself must have no exported fields: hermes merges its default
// theme into the one given with mergo, which walks exported fields and
// panics on a struct shaped differently from hermes.Default.
type theme struct{ view *view }

// view is what the templates read besides hermes' own values.
type view struct {
	Lang      string // the html lang attribute
	Preheader string // the inbox preview line, hidden in the body
	Question  string
	Hint      string // the scale's meaning, for unlabelled scores (NPS)
	Choices   []choice
	Color     string // button background
	TextColor string // button text, chosen for contrast with Color
	Signer    string
	Footer    string
	// Unsubscribe is the footer's unsubscribe link (customer emails).
	Unsubscribe *button
	// Compact narrows the gaps between rating buttons so that eleven
	// (NPS) still fit a phone held upright.
	Compact bool
	// Stacked lays labelled choices out one per line, full width, worst
	// first, instead of in a row: five labels in a row break their words
	// on a phone (see stacked).
	Stacked bool
	// Quotes are the customer's own words in a team alert, as plain
	// paragraphs of escaped lines: never markup, never FreeMarkdown.
	Quotes []quote
	// Button is a single call to action (the team's timeline link).
	Button *button
	// Team marks an email to the operator's staff: no customer-style
	// sign-off, since nobody signs an automatic internal alert.
	Team bool
}

// quote is one block of customer text under a heading. Each paragraph is
// a list of lines, so that line breaks survive without any HTML in the
// data.
type quote struct {
	Heading string
	Paras   [][]string
}

// button is a link styled as a button; URL has passed checkURL.
type button struct {
	Text string
	URL  string
}

// View exposes the theme's data to the templates.
func (t *theme) View() *view { return t.view }

// choice is one rating link.
type choice struct {
	Score int
	Label string
	// Button is what the button shows: the label on short scales, the
	// bare number on long ones (the hint and the text part carry labels).
	Button string
	URL    string
	// Line is the choice as plain text lists it: "1 – Very unhappy", or
	// just "7" when the label is the score itself.
	Line  string
	Width string // the cell's share of the row, "20%"
}

var _ hermes.Theme = (*theme)(nil)

// Name identifies the theme to hermes.
func (*theme) Name() string { return "aftercare" }

// HTMLTemplate is a table layout with inline styles only: mail clients
// strip <style> blocks unevenly, and inlining them on every render is the
// slowest part of hermes, so it is switched off.
func (*theme) HTMLTemplate() string { return htmlTemplate }

// PlainTextTemplate is simple HTML that hermes turns into text; rating
// links appear as bare URLs so that every client can open them.
func (*theme) PlainTextTemplate() string { return textTemplate }

const htmlTemplate = `<!DOCTYPE html>
{{- $t := .Hermes.Theme.View }}{{ $p := .Hermes.Product }}{{ $b := .Email.Body }}
<html lang="{{ $t.Lang }}" dir="{{ .Hermes.TextDirection }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>{{ $p.Name }}</title>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
{{- with $t.Preheader }}
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">{{ . }}</div>
{{- end }}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1f2937;">
<tr><td align="center" style="padding:0 0 20px;font-size:20px;font-weight:bold;">
{{- if $p.Link }}<a href="{{ $p.Link }}" style="color:{{ $t.Color }};text-decoration:none;">{{ end }}
{{- if $p.Logo }}<img src="{{ $p.Logo }}" alt="{{ $p.Name }}" height="48" style="height:48px;border:0;">{{ else }}<span style="color:{{ $t.Color }};">{{ $p.Name }}</span>{{ end }}
{{- if $p.Link }}</a>{{ end -}}
</td></tr>
<tr><td style="background-color:#ffffff;border-radius:8px;padding:32px 28px;font-size:16px;line-height:1.5;">
<p style="margin:0 0 16px;font-size:18px;font-weight:bold;">{{ $b.Title }}</p>
{{- range $b.Intros }}
<p style="margin:0 0 16px;">{{ . }}</p>
{{- end }}
{{- with $b.Dictionary }}
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 16px;">
{{- range . }}
<tr><td style="padding:2px 12px 2px 0;color:#6b7280;vertical-align:top;">{{ .Key }}</td><td style="padding:2px 0;vertical-align:top;">{{ .Value }}</td></tr>
{{- end }}
</table>
{{- end }}
{{- range $t.Quotes }}
<p style="margin:8px 0 6px;font-weight:bold;">{{ .Heading }}</p>
<div style="margin:0 0 16px;padding:2px 0 2px 12px;border-left:3px solid #d1d5db;color:#374151;">
{{- range .Paras }}
<p style="margin:0 0 8px;">{{ range $i, $line := . }}{{ if $i }}<br>{{ end }}{{ $line }}{{ end }}</p>
{{- end }}
</div>
{{- end }}
{{- with $t.Button }}
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px;">
<tr><td style="border-radius:6px;background-color:{{ $t.Color }};">
<a href="{{ .URL }}" style="display:inline-block;padding:12px 22px;border-radius:6px;background-color:{{ $t.Color }};color:{{ $t.TextColor }};font-size:15px;font-weight:bold;text-decoration:none;">{{ .Text }}</a>
</td></tr>
</table>
{{- end }}
{{- if $t.Stacked }}
<p style="margin:8px 0 12px;font-weight:bold;">{{ $t.Question }}</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 8px;">
{{- range $t.Choices }}
<tr><td style="padding:0 0 6px;">
<a href="{{ .URL }}" style="display:block;padding:11px 14px;border-radius:6px;background-color:{{ $t.Color }};color:{{ $t.TextColor }};font-size:15px;font-weight:bold;line-height:1.25;text-align:center;text-decoration:none;">{{ .Button }}</a>
</td></tr>
{{- end }}
</table>
<div style="height:8px;line-height:8px;">&nbsp;</div>
{{- else if $t.Choices }}
<p style="margin:8px 0 12px;font-weight:bold;">{{ $t.Question }}</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 8px;table-layout:fixed;">
<tr>
{{- range $t.Choices }}
{{- if $t.Compact }}
<td width="{{ .Width }}" align="center" valign="top" style="padding:0 1px;">
<a href="{{ .URL }}"{{ if ne .Label .Button }} title="{{ .Label }}"{{ end }} style="display:block;padding:10px 0;border-radius:4px;background-color:{{ $t.Color }};color:{{ $t.TextColor }};font-size:15px;font-weight:bold;line-height:1.25;text-decoration:none;">{{ .Button }}</a>
</td>
{{- else }}
<td width="{{ .Width }}" align="center" valign="top" style="padding:0 3px;">
<a href="{{ .URL }}"{{ if ne .Label .Button }} title="{{ .Label }}"{{ end }} style="display:block;padding:12px 2px;border-radius:6px;background-color:{{ $t.Color }};color:{{ $t.TextColor }};font-size:14px;font-weight:bold;line-height:1.25;text-decoration:none;overflow-wrap:break-word;word-wrap:break-word;">{{ .Button }}</a>
</td>
{{- end }}
{{- end }}
</tr>
</table>
{{- with $t.Hint }}
<p style="margin:0 0 16px;font-size:13px;color:#6b7280;text-align:center;">{{ . }}</p>
{{- end }}
<div style="height:8px;line-height:8px;">&nbsp;</div>
{{- end }}
{{- range $b.Outros }}
<p style="margin:0 0 16px;">{{ . }}</p>
{{- end }}
{{- if not $t.Team }}
<p style="margin:24px 0 0;">{{ $b.Signature }}<br>{{ $t.Signer }}</p>
{{- end }}
</td></tr>
<tr><td align="center" style="padding:20px 12px 0;font-size:12px;line-height:1.5;color:#6b7280;">
<p style="margin:0 0 4px;">{{ $t.Footer }}</p>
{{- with $t.Unsubscribe }}
<p style="margin:0 0 4px;"><a href="{{ .URL }}" style="color:#6b7280;text-decoration:underline;">{{ .Text }}</a></p>
{{- end }}
<p style="margin:0;">{{ $p.Copyright }}</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`

const textTemplate = `{{ $t := .Hermes.Theme.View }}{{ $b := .Email.Body -}}
<p>{{ $b.Title }}</p>
{{- range $b.Intros }}
<p>{{ . }}</p>
{{- end }}
{{- with $b.Dictionary }}
<p>{{ range . }}{{ .Key }}: {{ .Value }}<br>{{ end }}</p>
{{- end }}
{{- range $t.Quotes }}
<p>{{ .Heading }}:</p>
{{- range .Paras }}
<p>{{ range $i, $line := . }}{{ if $i }}<br>{{ end }}{{ $line }}{{ end }}</p>
{{- end }}
{{- end }}
{{- with $t.Button }}
<p>{{ .Text }}: {{ .URL }}</p>
{{- end }}
{{- if $t.Choices }}
<p>{{ $t.Question }}</p>
{{- with $t.Hint }}
<p>{{ . }}</p>
{{- end }}
<p>{{ range $t.Choices }}{{ .Line }}: {{ .URL }}<br>{{ end }}</p>
{{- end }}
{{- range $b.Outros }}
<p>{{ . }}</p>
{{- end }}
{{- if not $t.Team }}
<p>{{ $b.Signature }}<br>{{ $t.Signer }}</p>
{{- end }}
<p>--<br>{{ $t.Footer }}{{ with $t.Unsubscribe }}<br>{{ .Text }}: {{ .URL }}{{ end }}<br>{{ .Hermes.Product.Copyright }}</p>
`

// stacked reports whether choices go one per line: those of a labelled
// scale. Five labels in a row do not fit a phone 414 pixels wide in any of
// our languages without breaking words ("Unhappy", "Regular", "Εξαιρετική",
// "unzufrieden" each need more than the 60 pixels a fifth of the row
// leaves), which TestBrowserEmailsInEveryLanguage showed; bare numbers
// (NPS, CES) fit in a row.
func stacked(choices []choice) bool {
	for _, c := range choices {
		if c.Button != strconv.Itoa(c.Score) {
			return true
		}
	}
	return false
}
