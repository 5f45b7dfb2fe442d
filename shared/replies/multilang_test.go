package replies

import (
	"strings"
	"testing"

	"github.com/aftercare/aftercare/shared/domain"
)

// quoteShapes are the ways clients put history below a reply, in the ten
// languages we promise; each must leave only what was typed above it.
var quoteShapes = []struct{ name, lang, below string }{
	{"en gmail", "en", "On Fri, Nov 20, 2026 at 10:00 AM Sea Breeze Tours <care@example.com> wrote:\n\n> How was it?\n"},
	{"en outlook from wrapped", "en", "From: Sea Breeze Tours\n<care@example.com>\nSent: Friday, November 20, 2026 10:00 AM\nTo: Ann <ann@example.com>\nSubject: How was it?\n\nHow was it?\n"},
	{"en outlook mac reply-to", "en", "From: Sea Breeze Tours <care@example.com>\nReply-To: care+x@example.com\nDate: Friday, 20 November 2026 at 10:00\nTo: Ann <ann@example.com>\nSubject: How was it?\n\nHow was it?\n"},
	{"en no address, unquoted history", "en", "On Fri, 20 Nov 2026 at 10:00, Sea Breeze Tours wrote:\n\nHow was it?\n"},
	{"en gmail old", "en", "2014-03-20 8:48 GMT+01:00 Sea Breeze <care@example.com>:\n\nHow was it?\n"},
	{"en android", "en", "---- Sea Breeze Tours wrote ----\n\nHow was it?\n"},
	{"en indented dashes and bold From", "en", "  ------------------------------\n\n*From:* Sea Breeze [mailto:care@example.com]\n*Sent:* Friday, November 20, 2026 10:00 AM\n*To:* ann@example.com\n*Subject:* How was it?\n\nHow was it?\n"},
	{"el gmail", "el", "Στις Παρ 20 Νοε 2026 στις 10:00 π.μ., ο/η Sea Breeze <care@example.com> έγραψε:\n> Πώς ήταν;\n"},
	{"el outlook", "el", "Από: Sea Breeze <care@example.com>\nΣτάλθηκε: Παρασκευή, 20 Νοεμβρίου 2026 10:00 πμ\nΠρος: Άννα\nΘέμα: Πώς ήταν;\n\nΠώς ήταν;\n"},
	{"es gmail", "es", "El vie, 20 nov 2026 a las 10:00, Sea Breeze Tours (<care@example.com>) escribió:\n\n> ¿Qué tal?\n"},
	{"es outlook", "es", "De: Sea Breeze <care@example.com>\nEnviado: viernes, 20 de noviembre de 2026 10:00\nPara: Ana\nAsunto: ¿Qué tal?\n\n¿Qué tal?\n"},
	{"de gmail", "de", "Am Fr., 20. Nov. 2026 um 10:00 Uhr schrieb Sea Breeze Tours <\ncare@example.com>:\n\n> Wie war es?\n"},
	{"de outlook", "de", "Von: Sea Breeze <care@example.com>\nGesendet: Freitag, 20. November 2026 10:00\nAn: Anna\nBetreff: Wie war es?\n\nWie war es?\n"},
	{"de apple", "de", "Am 20.11.2026 um 10:00 schrieb Sea Breeze Tours <care@example.com>:\n\nWie war es?\n"},
	{"fr gmail split", "fr", "Le ven. 20 nov. 2026 à 10:00, Sea Breeze Tours <care@example.com>\na écrit :\n\n> Comment était-ce ?\n"},
	{"fr outlook", "fr", "De : Sea Breeze <care@example.com>\nEnvoyé : vendredi 20 novembre 2026 10:00\nÀ : Anne\nObjet : Comment était-ce ?\n\nComment était-ce ?\n"},
	{"it gmail", "it", "Il giorno ven 20 nov 2026 alle ore 10:00 Sea Breeze Tours <care@example.com> ha scritto:\n\n> Com'è andata?\n"},
	{"it outlook", "it", "Da: Sea Breeze <care@example.com>\nInviato: venerdì 20 novembre 2026 10:00\nA: Anna\nOggetto: Com'è andata?\n\nCom'è andata?\n"},
	{"pt gmail", "pt", "Em sex., 20 de nov. de 2026 às 10:00, Sea Breeze Tours <care@example.com> escreveu:\n\n> Como foi?\n"},
	{"pt outlook", "pt", "De: Sea Breeze <care@example.com>\nEnviado: sexta-feira, 20 de novembro de 2026 10:00\nPara: Ana\nAssunto: Como foi?\n\nComo foi?\n"},
	{"nl gmail", "nl", "Op vr 20 nov. 2026 om 10:00 schreef Sea Breeze Tours <care@example.com>:\n\n> Hoe was het?\n"},
	{"nl outlook", "nl", "Van: Sea Breeze <care@example.com>\nVerzonden: vrijdag 20 november 2026 10:00\nAan: Anna\nOnderwerp: Hoe was het?\n\nHoe was het?\n"},
	{"ru gmail", "ru", "пт, 20 нояб. 2026 г. в 10:00, Sea Breeze Tours <care@example.com>:\n\n> Как всё прошло?\n"},
	{"ru mail.ru", "ru", "Пятница, 20 ноября 2026, 10:00 +03:00 от Sea Breeze Tours <care@example.com>:\n\nКак всё прошло?\n"},
	{"ru thunderbird", "ru", "20.11.2026 10:00, Sea Breeze Tours пишет:\n> Как всё прошло?\n"},
	{"ru windows mail", "ru", "От: Sea Breeze\nОтправлено: 20 ноября 2026 г. 10:00\nКому: anna@example.com\nТема: Как всё прошло?\n\nКак всё прошло?\n"},
	{"pl gmail", "pl", "W dniu pt., 20.11.2026 o 10:00 Sea Breeze Tours <care@example.com> napisał(a):\n\n> Jak było?\n"},
	{"pl outlook", "pl", "Od: Sea Breeze <care@example.com>\nWysłano: piątek, 20 listopada 2026 10:00\nDo: Anna\nTemat: Jak było?\n\nJak było?\n"},
	{"pl apple", "pl", "Wiadomość napisana przez Sea Breeze Tours <care@example.com> w dniu 20.11.2026, o godz. 10:00:\n\nJak było?\n"},
	{"pl yahoo", "pl", "W piątek, 20 listopada 2026 10:00:00 CET, Sea Breeze Tours <care@example.com> napisał(-a):\n\nJak było?\n"},
	{"ru yahoo", "ru", "пятница, 20 ноября 2026 г., 10:00:00 GMT+3, Sea Breeze Tours <care@example.com> написал(-а):\n\nКак всё прошло?\n"},
	{"de yahoo", "de", "Am Freitag, 20. November 2026, 10:00:00 MEZ hat Sea Breeze Tours <care@example.com> Folgendes geschrieben:\n\nWie war es?\n"},
	{"el yahoo", "el", "Στις Παρασκευή 20 Νοεμβρίου 2026, 10:00:00 π.μ. EET, ο χρήστης Sea Breeze Tours <care@example.com> έγραψε:\n\nΠώς ήταν;\n"},
	{"pt yahoo", "pt", "Em sexta-feira, 20 de novembro de 2026, 10:00:00 BRT, Sea Breeze Tours <care@example.com> escreveu:\n\nComo foi?\n"},
	{"fr apple forwarded", "fr", "Début du message réexpédié :\n\nDe: Sea Breeze Tours <care@example.com>\nObjet: Comment était-ce ?\nDate: 20 novembre 2026 à 10:00:00 UTC+1\nÀ: Anne <anne@example.com>\n\nComment était-ce ?\n"},
	{"de apple forwarded", "de", "Anfang der weitergeleiteten Nachricht:\n\nVon: Sea Breeze Tours <care@example.com>\nBetreff: Wie war es?\nDatum: 20. November 2026 um 10:00:00 MEZ\nAn: Anna <anna@example.com>\n\nWie war es?\n"},
	{"es samsung", "es", "-------- Mensaje original --------\nDe: Sea Breeze Tours <care@example.com>\nFecha: 20/11/26 10:00 (GMT+01:00)\nPara: Ana <ana@example.com>\nAsunto: ¿Qué tal?\n\n¿Qué tal?\n"},
	{"it thunderbird", "it", "Il 20/11/2026 10:00, Sea Breeze Tours ha scritto:\n> Com'è andata?\n"},
	{"nl apple", "nl", "Op 20 nov. 2026 om 10:00 heeft Sea Breeze Tours <care@example.com> het volgende geschreven:\n\nHoe was het?\n"},
	{"nl thunderbird", "nl", "Op 20-11-2026 om 10:00 schreef Sea Breeze Tours:\n> Hoe was het?\n"},
	{"it gmail forwarded", "it", "---------- Messaggio inoltrato ---------\nDa: Sea Breeze Tours <care@example.com>\nDate: ven 20 nov 2026 alle ore 10:00\nSubject: Com'è andata?\nTo: <anna@example.com>\n\nCom'è andata?\n"},
}

// TestScoreAboveEveryQuoteShape: a rating typed above any quote shape,
// in digits or as a number word of any supported language, is a score.
func TestScoreAboveEveryQuoteShape(t *testing.T) {
	ratings := map[string][]string{
		"en": {"5", "4/5", "five"}, "el": {"πέντε", "4"}, "es": {"cinco", "5/5"},
		"de": {"fünf", "4"}, "fr": {"cinq", "4/5"}, "it": {"cinque", "5"}, "pt": {"cinco", "quatro"},
		"nl": {"vijf", "4"}, "ru": {"пять", "четыре"}, "pl": {"pięć", "cztery"},
	}
	for _, shape := range quoteShapes {
		for _, typed := range ratings[shape.lang] {
			text, _ := stripText(typed+"\n\n"+shape.below, "")
			n, ok := Score(text, domain.SurveyCSAT)
			if !ok || n < 4 {
				t.Errorf("%s: %q above the quote: text %q, Score = %d, %v", shape.name, typed, text, n, ok)
			}
		}
	}
}

// TestStripEveryQuoteShape: the customer's sentences stay, the history
// goes, and the marker's language is reported.
func TestStripEveryQuoteShape(t *testing.T) {
	const said = "The guide was lovely.\nThe boat, an hour late."
	for _, shape := range quoteShapes {
		text, lang := stripText(said+"\n\n"+shape.below, "")
		if text != said {
			t.Errorf("%s: got %q, want %q", shape.name, text, said)
		}
		if lang != shape.lang && lang != "" {
			t.Errorf("%s: marker language %q, want %q", shape.name, lang, shape.lang)
		}
	}
}

// TestFootersOnlyAtTheEnd: a phone footer goes only where it ends what
// the customer typed, and only in a footer's shape.
func TestFootersOnlyAtTheEnd(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"de iphone", "Alles gut.\n\nVon meinem iPhone gesendet\n", "Alles gut."},
		{"fr iphone", "Très bien.\n\nEnvoyé de mon iPhone\n", "Très bien."},
		{"it iphone", "Tutto bene.\n\nInviato da iPhone\n", "Tutto bene."},
		{"pt iphone", "Tudo bem.\n\nEnviado do meu iPhone\n", "Tudo bem."},
		{"nl iphone", "Prima.\n\nVerstuurd vanaf mijn iPhone\n", "Prima."},
		{"ru iphone", "Всё хорошо.\n\nОтправлено с iPhone\n", "Всё хорошо."},
		{"pl iphone", "Wszystko dobrze.\n\nWysłane z mojego iPhone'a\n", "Wszystko dobrze."},
		{"footer then a quote", "Ok.\n\nSent from my iPhone\n\nOn 20 Nov 2026, at 10:00, Sea Breeze <c@example.com> wrote:\n\n> Hi\n", "Ok."},
		{"a sentence that starts like a footer", "Here is another email\n\nSent from my desk, is much easier then my mobile phone.\n",
			"Here is another email\n\nSent from my desk, is much easier then my mobile phone."},
		{"a footer-shaped line followed by more words stays", "Sent from my hotel room\nthe view was great.\n",
			"Sent from my hotel room\nthe view was great."},
		{"a long block after -- is not a signature",
			"Notes:\n--\n" + strings.Repeat("We liked the day a lot.\n", 14), "Notes:\n--\n" + strings.TrimSpace(strings.Repeat("We liked the day a lot.\n", 14))},
		{"mailing list footer", "Thanks all.\n\n_______________________________________________\nriak-users mailing list\nriak-users@lists.basho.com\nhttp://lists.basho.com/mailman/listinfo/riak-users\n", "Thanks all."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := stripText(tc.in, ""); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestOwnText: a block that reproduces the email we sent is history,
// whatever marks it; a few of our words in the customer's sentence are not.
func TestOwnText(t *testing.T) {
	const sent = "Hello Nikos,\n\nThank you for joining us on the Samaria Gorge hike. How was your experience? " +
		"Reply with a number from 1 to 5, or tell us in your own words.\n\nSea Breeze Tours"
	tests := []struct{ name, in, want string }{
		{"unmarked copy below", "Great day!\n\nHello Nikos,\n\nThank you for joining us on the Samaria Gorge hike. How was your\nexperience? Reply with a number from 1 to 5, or tell us in your own words.\n", "Great day!"},
		{"copy under an attribution we do not know", "Super.\n\nPerjantaina 20.11.2026 klo 10.00 Sea Breeze kirjoitti jotain:\nThank you for joining us on the Samaria Gorge hike. How was your experience? Reply with a number from 1 to 5\n", "Super."},
		{"a few of our words in a sentence stay", "Thank you for joining us on the walk, said the guide, and she was right.\n",
			"Thank you for joining us on the walk, said the guide, and she was right."},
		{"without the sent text nothing is known", "", ""},
	}
	for _, tc := range tests {
		if tc.in == "" {
			in := "Great day!\n\nThank you for joining us on the Samaria Gorge hike. How was your experience?\n"
			if got, _ := stripText(in, ""); got != strings.TrimSpace(in[:len(in)-1]) {
				t.Errorf("%s: got %q", tc.name, got)
			}
			continue
		}
		if got, _ := stripText(tc.in, sent); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestNothingAboveTheHistory: when a message opens with history (a header
// block, a separator, an attribution) and nothing was typed above it, the
// words below it are kept rather than nothing: the customer wrote below,
// or forwarded it and it is all there is to read.
func TestNothingAboveTheHistory(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"header block on top", "Von: Anna <anna@example.com>\nGesendet: Freitag, 20. November 2026 10:00\nBetreff: Bus\n\nDer Bus kam zu spät.\n", "Der Bus kam zu spät."},
		{"separator then header block", "-----Original Message-----\nFrom: Ann <ann@example.com>\nSent: Friday\nTo: care@example.com\nSubject: Bus\n\nThe bus was late.\n", "The bus was late."},
		{"still cut below", "De : Anne <anne@example.com>\nEnvoyé : vendredi\nObjet : Bus\n\nLe bus était en retard.\n\nLe ven. 20 nov. 2026 à 10:00, Sea Breeze <care@example.com> a écrit :\n> Comment était-ce ?\n", "Le bus était en retard."},
		{"only a quote stays empty", "> Hi\n> there\n", ""},
	}
	for _, tc := range tests {
		if got, _ := stripText(tc.in, ""); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestInlineAnswersBetweenQuotes: answers typed between quoted lines stay,
// whatever their shape; only the tail of a wrapped quoted line goes.
func TestInlineAnswersBetweenQuotes(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a score", "> How would you rate the trip, from 1 to 5\n5\n> Anything else\n", "5"},
		{"a capitalised answer after a long unpunctuated question", "> Please tell us how the guide, the boat and the lunch were for you\nAll great\n> Thanks\n", "All great"},
		{"a wrapped quoted line", "> Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nullam pharetra d\nignissim odio?\n>\n", ""},
		{"link debris", "> View ticket (http://example.com/action\n_nonce=3dd518)\n>\n", ""},
	}
	for _, tc := range tests {
		if got, _ := stripText(tc.in, ""); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestHTMLStructureOverBareText: a client that writes the quoted thread
// into the text part with no marker still marks it in the HTML part; the
// HTML's structure wins over the text part's lack of markers, and only
// then.
func TestHTMLStructureOverBareText(t *testing.T) {
	msg := func(text, html string) []byte {
		return []byte("From: ana@example.com\r\nTo: care@example.com\r\nSubject: Re: hola\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text +
			"\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--b--\r\n")
	}
	tests := []struct{ name, text, html, want string }{
		{"bare thread in text, blockquote in HTML",
			"Todo perfecto.\r\n\r\nSea Breeze Tours\r\n¿Qué tal fue su viaje?\r\n",
			`<div>Todo perfecto.</div><blockquote style="margin:0 0 0 .8ex"><div>Sea Breeze Tours</div><div>¿Qué tal fue su viaje?</div></blockquote>`,
			"Todo perfecto."},
		{"no container in HTML: the text part stands",
			"Todo perfecto.\r\nGracias.\r\n", `<div>Todo perfecto.</div><div>Gracias.</div>`, "Todo perfecto.\nGracias."},
		{"the text part's own markers win",
			"Vale.\r\n\r\nEl vie, 20 nov 2026 a las 10:00, Sea Breeze <c@example.com> escribió:\r\n> Hola\r\n",
			`<div>Vale. Y otra cosa que solo está en el HTML.</div><blockquote>Hola</blockquote>`, "Vale."},
	}
	for _, tc := range tests {
		r, err := Parse(msg(tc.text, tc.html))
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != tc.want {
			t.Errorf("%s: Text = %q, want %q", tc.name, r.Text, tc.want)
		}
	}
}
