// Package remote is a renderer (app.Renderer) that renders in another
// process: on AWS, the respond function renders the emails it sends (a
// sign-in link, a team message, an alert and an acknowledgement after a
// bad answer) through the dispatch function, which links hermes, so that
// respond, which answers the customers' clicks, does not carry hermes'
// megabytes and its start-up cost. The call itself is a function handed
// in (shared/awswire/invoke on AWS), and this package links no renderer.
package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/aftercare/aftercare/shared/mail/draft"
)

// Call is the event a remote render sends: the request under "render", by
// which the dispatch function tells it from a fired schedule.
type Call struct {
	Render *draft.Request `json:"render,omitempty"`
}

// Answer is what the rendering side returns: the email, or why the request
// cannot be rendered (an unknown template, a malformed link), which no
// retry would fix. A failure of the call itself is not an Answer.
type Answer struct {
	Rendered *draft.Rendered `json:"rendered,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// Renderer renders through call.
type Renderer struct {
	call func(ctx context.Context, event []byte) ([]byte, error)
}

// New returns a Renderer whose every Render is one call.
func New(call func(ctx context.Context, event []byte) ([]byte, error)) *Renderer {
	return &Renderer{call: call}
}

// Has reports whether the template is one every renderer knows
// (draft.Templates), without a call.
func (r *Renderer) Has(template string) bool { return slices.Contains(draft.Templates, template) }

// Render renders req on the other side. A failed call (the function could
// not be reached, was throttled, crashed or timed out) is
// draft.ErrTemporary, so the step is retried rather than given up; a
// request the other side refuses is a plain error.
func (r *Renderer) Render(ctx context.Context, req draft.Request) (draft.Rendered, error) {
	event, err := json.Marshal(Call{Render: &req})
	if err != nil {
		return draft.Rendered{}, fmt.Errorf("remote render %s: %w", req.Template, err)
	}
	raw, err := r.call(ctx, event)
	if err != nil {
		return draft.Rendered{}, fmt.Errorf("remote render %s: %w: %w", req.Template, draft.ErrTemporary, err)
	}
	var a Answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return draft.Rendered{}, fmt.Errorf("remote render %s: %w: unreadable answer: %w", req.Template, draft.ErrTemporary, err)
	}
	switch {
	case a.Error != "":
		return draft.Rendered{}, errors.New(a.Error)
	case a.Rendered == nil:
		return draft.Rendered{}, fmt.Errorf("remote render %s: %w: empty answer", req.Template, draft.ErrTemporary)
	}
	return *a.Rendered, nil
}

// Serve is the rendering side: it answers a Call with render, the local
// renderer. A request it cannot render is an Answer with Error, not an
// error, so that the caller does not retry it.
func Serve(ctx context.Context, render func(context.Context, draft.Request) (draft.Rendered, error), c Call) Answer {
	if c.Render == nil {
		return Answer{Error: "remote render: the call has no request"}
	}
	out, err := render(ctx, *c.Render)
	if err != nil {
		return Answer{Error: err.Error()}
	}
	return Answer{Rendered: &out}
}
