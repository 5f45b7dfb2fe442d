package startup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The Runtime API paths the harness cares about. aws-lambda-go asks for the
// next event as soon as lambda.Start runs, which is the moment a function is
// ready to serve.
const (
	nextPath      = "/2018-06-01/runtime/invocation/next"
	initErrorPath = "/2018-06-01/runtime/init/error"
)

// runtimeAPI is a fake Lambda Runtime API that only notes when the first
// event is asked for (or an init error reported) and never answers with one:
// the measurement ends there and the process is killed.
type runtimeAPI struct {
	addr      string
	srv       *http.Server
	next      chan time.Time
	initError chan string
}

func newRuntimeAPI() (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the fake Runtime API: %w", err)
	}
	rt := &runtimeAPI{
		addr:      ln.Addr().String(),
		next:      make(chan time.Time, 1),
		initError: make(chan string, 1),
	}
	rt.srv = &http.Server{Handler: http.HandlerFunc(rt.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = rt.srv.Serve(ln) }()
	return rt, nil
}

func (rt *runtimeAPI) serve(w http.ResponseWriter, r *http.Request) {
	// Taken first, before anything else the handler does, so the figure is
	// as close as the HTTP server allows to the moment the request arrived.
	at := time.Now()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == nextPath:
		select {
		case rt.next <- at:
		default:
		}
		// Hold the request like the real API does between events; the
		// process is killed while it waits.
		<-r.Context().Done()
	case r.Method == http.MethodPost && r.URL.Path == initErrorPath:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		select {
		case rt.initError <- strings.TrimSpace(string(body)):
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	default:
		http.Error(w, "not part of the fake Runtime API", http.StatusNotFound)
	}
}

func (rt *runtimeAPI) close() { _ = rt.srv.Close() }

// fakeAWS answers every AWS call a function might make at init, so that work
// is timed rather than failing or waiting on the network. SSM parameter reads
// (GetParameters, which Aftercare's functions make, listing the names it does
// not hold in InvalidParameters as SSM does; GetParameter; GetParametersByPath)
// and Secrets Manager GetSecretValue are served from a map, because a
// function that loads its secrets at cold start needs real-looking answers to
// get as far as asking for an event; any other call gets an empty JSON object
// and is recorded so the report can show what start-up included.
type fakeAWS struct {
	url    string
	srv    *http.Server
	params map[string]string

	mu   sync.Mutex
	seen []string
}

func newFakeAWS(params map[string]string) (*fakeAWS, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the fake AWS endpoint: %w", err)
	}
	f := &fakeAWS{url: "http://" + ln.Addr().String(), params: params}
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *fakeAWS) close() { _ = f.srv.Close() }

func (f *fakeAWS) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

// ssmParameter is the wire shape of an SSM Parameter.
type ssmParameter struct {
	Name    string
	Type    string
	Value   string
	Version int
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	// JSON-protocol services (SSM, DynamoDB, Secrets Manager) name the
	// operation in X-Amz-Target as "Prefix.Operation"; REST ones in the path.
	target := r.Header.Get("X-Amz-Target")
	op := r.Method + " " + r.URL.Path
	if target != "" {
		op = target
	}
	f.mu.Lock()
	f.seen = append(f.seen, op)
	f.mu.Unlock()

	var in struct {
		Path      string
		Recursive bool
		Name      string
		Names     []string
		SecretID  string `json:"SecretId"`
	}
	if target != "" {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil && !errors.Is(err, io.EOF) {
			awsError(w, "ValidationException", "fake AWS: "+err.Error())
			return
		}
	}
	switch target {
	case "AmazonSSM.GetParametersByPath":
		out := []ssmParameter{}
		prefix := strings.TrimSuffix(in.Path, "/") + "/"
		for _, name := range slices.Sorted(maps.Keys(f.params)) {
			rest, ok := strings.CutPrefix(name, prefix)
			if !ok || (!in.Recursive && strings.Contains(rest, "/")) {
				continue
			}
			out = append(out, param(name, f.params[name]))
		}
		writeJSON(w, map[string]any{"Parameters": out})
	case "AmazonSSM.GetParameter":
		v, ok := f.params[in.Name]
		if !ok {
			awsError(w, "ParameterNotFound", "fake AWS: no parameter "+in.Name)
			return
		}
		writeJSON(w, map[string]any{"Parameter": param(in.Name, v)})
	case "AmazonSSM.GetParameters":
		found, invalid := []ssmParameter{}, []string{}
		for _, name := range in.Names {
			if v, ok := f.params[name]; ok {
				found = append(found, param(name, v))
			} else {
				invalid = append(invalid, name)
			}
		}
		writeJSON(w, map[string]any{"Parameters": found, "InvalidParameters": invalid})
	case "secretsmanager.GetSecretValue":
		v, ok := f.params[in.SecretID]
		if !ok {
			awsError(w, "ResourceNotFoundException", "fake AWS: no secret "+in.SecretID)
			return
		}
		writeJSON(w, map[string]any{"Name": in.SecretID, "SecretString": v, "VersionId": "bench"})
	default:
		writeJSON(w, map[string]any{})
	}
}

func param(name, value string) ssmParameter {
	return ssmParameter{Name: name, Type: "SecureString", Value: value, Version: 1}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func awsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
