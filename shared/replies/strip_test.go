package replies

import (
	"strings"
	"testing"
	"time"
)

func TestStripText(t *testing.T) {
	tests := []struct {
		name, in, want, lang string
	}{
		{"nothing to strip", "Great trip!\n\nThanks, Ann\n", "Great trip!\n\nThanks, Ann", ""},
		{"crlf and nbsp", "Great trip!\r\n\u00a0\r\nAnn\r\n", "Great trip!\n\nAnn", ""},
		{"gmail attribution wrapped over three lines",
			"Yes.\n\nOn Fri, Nov 20, 2026 at 10:00 AM Sea Breeze Tours\n<care+x@example.com>\nwrote:\n\n> Hi\n", "Yes.", "en"},
		{"attribution without quote prefix (Yahoo) cuts the rest",
			"Fine.\n\nOn Friday, November 20, 2026, 10:00:00 AM GMT+2, Tours <c@example.com> wrote:\n\nHi,\nquoted\n", "Fine.", "en"},
		{"spanish gmail attribution with parentheses",
			"Muy bien.\n\nEl vie, 20 nov 2026 a las 10:00, Sea Breeze Tours (<care@example.com>) escribió:\n\n> Hola\n", "Muy bien.", "es"},
		{"greek gmail attribution",
			"Τέλεια.\n\nΣτις Παρ 20 Νοε 2026 στις 10:00 π.μ., ο/η Sea Breeze <care@example.com> έγραψε:\n> Γεια\n", "Τέλεια.", "el"},
		{"inline answers between quotes survive",
			"On 20/11/2026 10:00, Tours wrote:\n> Was it on time?\nYes.\n> Anything else?\nNo.\n", "Yes.\nNo.", "en"},
		{"a customer's 'on … wrote:' without date or address is kept",
			"On Monday my husband wrote:\nthe boat was late.\n", "On Monday my husband wrote:\nthe boat was late.", ""},
		{"a customer's sentence starting with El is kept",
			"El guía fue excelente.\nEl barco también.\n", "El guía fue excelente.\nEl barco también.", ""},
		{"original message separator", "Done.\n-----Original Message-----\nFrom: x\n", "Done.", "en"},
		{"spanish separator", "Hecho.\n\n-----Mensaje original-----\nDe: x\n", "Hecho.", "es"},
		{"greek separator", "Έγινε.\n-----Αρχικό μήνυμα-----\nΑπό: x\n", "Έγινε.", "el"},
		{"forwarded message", "FYI\n\n---------- Forwarded message ---------\nFrom: a\n", "FYI", "en"},
		{"outlook header block",
			"Ok.\n\nFrom: Sea Breeze <care@example.com>\nSent: Friday, November 20, 2026 10:00 AM\nTo: Ann <ann@example.com>\nSubject: Hi\n\nquoted\n",
			"Ok.", "en"},
		{"outlook header block with Date and Cc, bold labels",
			"Ok.\n*From:* Sea Breeze <care@example.com>\n*Date:* Fri, 20 Nov 2026\n*Cc:* b@example.com\n*Subject:* Hi\n\nquoted\n",
			"Ok.", "en"},
		{"spanish header block", "Vale.\n\nDe: Sea Breeze\nEnviado: viernes\nPara: Ana\nAsunto: Hola\n\nq\n", "Vale.", "es"},
		{"greek header block", "Εντάξει.\n\nΑπό: Sea Breeze\nΣτάλθηκε: Παρασκευή\nΠρος: Άννα\nΘέμα: Γεια\n\nq\n", "Εντάξει.", "el"},
		{"a lone From: line is the customer's", "From: the hotel we went by boat.\nLovely.\n", "From: the hotel we went by boat.\nLovely.", ""},
		{"outlook underscores then header block",
			"Thanks.\n\n________________________________\nFrom: Sea Breeze <care@example.com>\nSent: Friday\nTo: Ann\nSubject: Hi\n",
			"Thanks.", "en"},
		{"underscores alone are kept", "Thanks.\n__________\nAnn\n", "Thanks.\n__________\nAnn", ""},
		{"signature delimiter", "Thanks.\n\n-- \nAnn Smith\nCEO\n", "Thanks.", ""},
		{"signature delimiter without its space", "Thanks.\n--\nAnn Smith\n", "Thanks.", ""},
		{"double dash inside a line is kept", "Thanks -- really.\n", "Thanks -- really.", ""},
		{"sent from my iphone", "4\n\nSent from my iPhone\n", "4", "en"},
		{"enviado desde mi iphone", "4\n\nEnviado desde mi iPhone\n", "4", "es"},
		{"greek iphone", "4\n\nΣτάλθηκε από το iPhone μου\n", "4", "el"},
		{"get outlook for ios", "ok\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n", "ok", "en"},
		{"a long line starting 'sent from' is the customer's",
			"Sent from the harbour at 10, the boat came back two hours late and nobody called us about it.\n",
			"Sent from the harbour at 10, the boat came back two hours late and nobody called us about it.", ""},
		{"quoted lines are dropped anywhere", "> old\nnew\n>> older\n", "new", ""},
		{"blank runs collapse", "a\n\n\n\nb\n\n", "a\n\nb", ""},
		{"only a quote", "> Hi\n> there\n", "", ""},
		{"zero-width and BOM", "\ufeffYes\u200b.\n", "Yes.", ""},
		{"name-only attribution right above the quote goes",
			"Fine by me.\n\nLisa Dusseault wrote:\n\n> Does anybody know?\n", "Fine by me.", "en"},
		{"name-only attribution with an initial",
			"Agreed.\n\nJoel M. Halpern wrote:\n> I would agree.\n", "Agreed.", "en"},
		{"a customer's 'my husband wrote:' above a quote is kept",
			"Yes.\nmy husband wrote:\n> the boat was late\n", "Yes.\nmy husband wrote:", ""},
		{"'Name wrote:' with no quote below is kept",
			"Lisa Dusseault wrote:\nthe boat was late.\n", "Lisa Dusseault wrote:\nthe boat was late.", ""},
		{"re-quoted gmail attribution wrapped after '<' is a quote",
			"Nice work.\n\nOn Thu, Jul 14, 2016 at 2:17 AM, Ann <a@example.com> wrote:\n> Here it is.\n>\n> On Tue, Jul 12, 2016 at 12:25 PM, bob@example.com <\n> bob@example.com> wrote:\n>> Hi\n",
			"Nice work.", "en"},
		{"gmail app: author first, date after the verb, wrapped after an ordinal day",
			"Passt.\n\nSea Breeze <care@example.com> schrieb am Fr., 20.\nNov. 2026 um 10:00 Uhr:\n\n> Hallo\n", "Passt.", "de"},
		{"a customer's sentence with an address before 'wrote on <date>:' is kept",
			"I asked care@example.com and they wrote on 20 Nov 2026:\nthe boat was late.\n",
			"I asked care@example.com and they wrote on 20 Nov 2026:\nthe boat was late.", ""},
		{"a customer's line ending with an ordinal day is kept",
			"We arrived on the 20.\nNov. was busy, they wrote:\nlovely.\n", "We arrived on the 20.\nNov. was busy, they wrote:\nlovely.", ""},
		{"ukrainian gmail attribution",
			"Дякую.\n\n20 лист. 2026 р. 10:00 \"Sea Breeze\" <care@example.com> пише:\n\n> Привіт\n", "Дякую.", "uk"},
		{"outlook 'Name [mailto:addr]' with only Subject below",
			"Ok.\n\nFrom: Sea Breeze [mailto:care@example.com]\nSubject: Hi\nquoted\n", "Ok.", "en"},
		{"a From line with mailto but no Subject is kept",
			"Ok.\nFrom: Sea Breeze [mailto:care@example.com]\nthe boat was late.\n",
			"Ok.\nFrom: Sea Breeze [mailto:care@example.com]\nthe boat was late.", ""},
		{"italian header block with Risposta",
			"Ok.\n\nDa: Sea Breeze\nRisposta: Sea Breeze\nData: venerdì 20 novembre 2026 10:00\nA: Anna\nOggetto: Ciao\n\nq\n", "Ok.", "it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, lang := stripText(tc.in, "")
			if got != tc.want {
				t.Errorf("stripText =\n%q\nwant\n%q", got, tc.want)
			}
			if lang != tc.lang {
				t.Errorf("lang = %q, want %q", lang, tc.lang)
			}
		})
	}
}

func TestStripHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"gmail quote and signature",
			`<div dir="ltr">Great!<div><br></div><div>Ann</div></div><br><div class="gmail_quote"><div class="gmail_attr">On Fri … wrote:</div><blockquote class="gmail_quote">old</blockquote></div>`,
			"Great!\n\nAnn"},
		{"gmail signature by data attribute",
			`<div>Yes</div><div data-smartmail="gmail_signature">Ann Smith<br>CEO</div>`, "Yes"},
		{"apple inline answers between cites",
			`<div>See below</div><blockquote type="cite">Q1?</blockquote><div>A1</div><blockquote type="cite">Q2?</blockquote><div>A2</div>`,
			"See below\nA1\nA2"},
		{"apple inline answers below an attribution",
			`<div>See below</div><div>On 20 Nov 2026, at 10:00, Sea Breeze &lt;c@example.com&gt; wrote:</div><blockquote type="cite">Q1?</blockquote><div>A1</div><blockquote type="cite">Q2?</blockquote><div>A2</div>`,
			"See below\nA1\nA2"},
		{"outlook web: everything after divRplyFwdMsg goes",
			`<div>Fine</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> x</div><div>quoted</div>`, "Fine"},
		{"outlook web, reply to a reply: x_ prefix",
			`<div>Fine</div><hr><div id="x_divRplyFwdMsg"><b>From:</b> x</div><div>quoted</div>`, "Fine"},
		{"outlook desktop border-top block, nested deep",
			`<div class="WordSection1"><p class="MsoNormal">Fine<o:p></o:p></p><div><div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class="MsoNormal"><b>De:</b> Sea Breeze<br><b>Enviado:</b> viernes</p></div></div><p>quoted</p></div>`,
			"Fine"},
		{"a bordered box that is not a header block stays",
			`<div style="border-top:1px solid">Fine, thanks</div>`, "Fine, thanks"},
		{"yahoo prefixed quote", `<div>Bien</div><div id="ydpabc123yahoo_quoted_99" class="ydpabc123yahoo_quoted">El … escribió: old</div>`, "Bien"},
		{"yahoo plain quote and android signature",
			`<div>Bien</div><div id="ymail_android_signature"><a href="#">Sent from Yahoo Mail on Android</a></div><div class="yahoo_quoted">old</div>`, "Bien"},
		{"thunderbird", `<p>Sure</p><div class="moz-cite-prefix">On 20/11/2026 10:00, X wrote:<br></div><blockquote type="cite" cite="mid:x">old</blockquote><div class="moz-signature">-- <br>Ann</div>`, "Sure"},
		{"outlook signature div", `<div>Ok</div><div id="Signature"><p>Ann Smith</p></div>`, "Ok"},
		{"head, style, script and hidden preheader are invisible",
			`<html><head><title>t</title><style>p{}</style></head><body><span style="display: none">preview</span><script>x()</script><p>Visible</p></body></html>`,
			"Visible"},
		{"whitespace collapses, br breaks, pre keeps",
			"<p>one\n   two</p><p>three<br>four</p><pre>a  b\nc</pre>", "one two\nthree\nfour\na  b\nc"},
		{"entities decoded", `<p>Caf&eacute; &amp; &#8220;bar&#8221;</p>`, "Café & “bar”"},
		{"text mixed with a quote marker in text", `<div>Ok</div><div>-----Original Message-----</div><div>From: x</div>`, "Ok"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := stripText(htmlToText(tc.in, true), "")
			if got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestHTMLUnstrippedKeepsEverything: Full must show the quote that Text left out.
func TestHTMLUnstrippedKeepsEverything(t *testing.T) {
	in := `<div>Fine</div><div id="divRplyFwdMsg"><b>From:</b> x</div><blockquote>quoted</blockquote>`
	if got := htmlToText(in, false); !strings.Contains(got, "quoted") || !strings.Contains(got, "From: x") {
		t.Errorf("htmlToText(strip=false) = %q", got)
	}
}

// TestHTMLDeepNesting: x/net/html refuses nesting deeper than 512; the
// words must survive anyway, and a hostile body of a megabyte of nested
// elements must neither overflow the stack nor run long.
func TestHTMLDeepNesting(t *testing.T) {
	for _, depth := range []int{100, 511, 600, 5000} {
		in := strings.Repeat("<div>", depth) + "Thanks, all good" + strings.Repeat("</div>", depth) +
			"<blockquote>old</blockquote>"
		got, _ := stripText(htmlToText(in, true), "")
		if !strings.HasPrefix(got, "Thanks, all good") {
			t.Errorf("depth %d: got %q", depth, got)
		}
	}
	for _, tag := range []string{"div", "blockquote", "p", "table", "li", "a"} {
		in := strings.Repeat("<"+tag+">", 200_000) + "x"
		start := time.Now()
		_ = htmlToText(in, true)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("200000 nested <%s>: %v", tag, d)
		}
	}
}
