package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/mail"

	"github.com/aftercare/aftercare/infra/local"
	"github.com/aftercare/aftercare/infra/local/preview"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/i18n"
	"github.com/aftercare/aftercare/shared/mail/render"
)

const previewUsage = `usage: aftercare-admin preview [-template <name>] [-locale <code>] [-out <dir>] [-send <address> [-data <dir>]]`

// runPreview renders every template in every language (or the ones
// chosen) with sample data into -out as <template>.<locale>.html and .txt
// with an index.html side by side, in the brand of the AFTERCARE_BRAND_*
// settings and with the wording of AFTERCARE_COPY, so that an operator can
// review a change of copy before deploying it. With -send it also mails
// each one to an address through the local runtime's mailer (the outbox of
// -data, and SMTP when AFTERCARE_SMTP_ADDR is set), to see them in a real
// mail client; like the other commands it needs `make dev` stopped.
func runPreview(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("aftercare-admin preview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	template := fs.String("template", "", "only this template (default: every one)")
	locale := fs.String("locale", "", "only this language, e.g. de (default: every one)")
	out := fs.String("out", "", "write the HTML and text files here (default preview/, unless -send is given)")
	send := fs.String("send", "", "also mail each one to this address, through the local runtime's mailer")
	data := fs.String("data", "", "with -send: local data directory (default $AFTERCARE_DATA, else .aftercare)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected %q\n%s\n", fs.Arg(0), previewUsage)
		return 2
	}
	templates, locales, err := preview.Select(*template, *locale)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	var to *mail.Address
	if *send != "" {
		if to, err = mail.ParseAddress(*send); err != nil {
			fmt.Fprintf(stderr, "-send: give an email address\n%s\n", previewUsage)
			return 2
		}
	}
	if *out == "" && to == nil {
		*out = "preview"
	}
	if *out != "" {
		r, err := previewRenderer(getenv)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		items, err := preview.Render(r, templates, locales)
		if err == nil {
			err = preview.WriteDir(*out, items)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %d emails to %s; open %s/index.html\n", len(items), *out, *out)
	}
	if to != nil {
		rt, code := openLocal(*data, getenv, stderr)
		if rt == nil {
			return code
		}
		defer rt.Close()
		for _, t := range templates {
			for _, l := range locales {
				it, err := rt.SendPreview(ctx, t, l, *to)
				if err != nil {
					fmt.Fprintln(stderr, err)
					return 1
				}
				fmt.Fprintf(stdout, "sent %s: %s\n", it.Name(), it.Subject)
			}
		}
	}
	return 0
}

// previewRenderer is a renderer in the brand and the copy the settings
// name, read without opening (or creating) a data directory.
func previewRenderer(getenv func(string) string) (*render.Renderer, error) {
	brand := render.Brand{
		Name: getenv(compose.BrandName), Link: getenv(compose.BrandLink),
		Logo: getenv(compose.BrandLogo), Color: getenv(compose.BrandColor),
	}
	ov, err := i18n.LoadOverrides(getenv(local.EnvCopy))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", local.EnvCopy, err)
	}
	set, err := i18n.New(ov)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", local.EnvCopy, err)
	}
	return render.New(brand, render.WithCopy(set)), nil
}
