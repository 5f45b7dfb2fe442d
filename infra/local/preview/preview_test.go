package preview

import (
	"context"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aftercare/aftercare/shared/i18n"
	outmail "github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/render"
)

func TestSelect(t *testing.T) {
	ts, ls, err := Select("", "")
	if err != nil || len(ts) != len(render.Templates()) || len(ls) != len(i18n.Codes()) {
		t.Fatalf("everything: %v %v %v", ts, ls, err)
	}
	ts, ls, err = Select("thank_you", "de")
	if err != nil || len(ts) != 1 || ts[0] != "thank_you" || len(ls) != 1 || ls[0] != "de" {
		t.Fatalf("one: %v %v %v", ts, ls, err)
	}
	if _, _, err := Select("thankyou", ""); err == nil || !strings.Contains(err.Error(), "thank_you") {
		t.Errorf("unknown template: %v (should name the real ones)", err)
	}
	if _, _, err := Select("", "gr"); err == nil || !strings.Contains(err.Error(), "el") {
		t.Errorf("unknown language: %v", err)
	}
}

func TestWriteDir(t *testing.T) {
	r := render.New(render.Brand{Name: "Hotel Aurora"})
	ts, ls, _ := Select("", "")
	items, err := Render(r, ts, ls)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != len(ts)*len(ls) {
		t.Fatalf("%d items, want %d", len(items), len(ts)*len(ls))
	}
	dir := t.TempDir()
	if err := WriteDir(dir, items); err != nil {
		t.Fatal(err)
	}
	txt, err := os.ReadFile(filepath.Join(dir, "thank_you.fr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(txt), "Subject: Merci, María Papadopoulou") || !strings.Contains(string(txt), "L’équipe Hotel Aurora") {
		t.Errorf("thank_you.fr.txt:\n%s", txt)
	}
	html, err := os.ReadFile(filepath.Join(dir, "acknowledgement.de.html"))
	if err != nil || !strings.Contains(string(html), `lang="de"`) {
		t.Errorf("acknowledgement.de.html: %v", err)
	}
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if !strings.Contains(string(index), `src="`+it.Name()+`.html"`) {
			t.Errorf("index does not show %s", it.Name())
		}
	}
	if strings.Count(string(index), "<iframe sandbox ") != len(items) {
		t.Error("every frame must be sandboxed")
	}
	rows := Grid(items)
	if len(rows) != len(ts) || len(rows[0].Items) != len(ls) {
		t.Errorf("grid %d×%d", len(rows), len(rows[0].Items))
	}
}

type catcher struct{ got []outmail.Message }

func (c *catcher) Send(_ context.Context, m outmail.Message) (string, error) {
	c.got = append(c.got, m)
	return "id-1", nil
}

func TestSend(t *testing.T) {
	it, err := One(render.New(render.Brand{}), "recovery", "it")
	if err != nil {
		t.Fatal(err)
	}
	var c catcher
	from, to := mail.Address{Name: "Care", Address: "care@example.com"}, mail.Address{Address: "me@example.org"}
	if _, err := Send(context.Background(), &c, it, from, to, time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(c.got) != 1 {
		t.Fatalf("%d sent", len(c.got))
	}
	m := c.got[0]
	if m.To != to || m.From != from || m.Subject != it.Subject || m.HTML != it.HTML || m.Tags["preview"] != "recovery-it" {
		t.Errorf("sent %+v", m)
	}
	if !strings.Contains(m.Text, "Quanto è soddisfatto ora?") {
		t.Errorf("not the Italian recovery email:\n%s", m.Text)
	}
}
