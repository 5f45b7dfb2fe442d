package infra_test

import (
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gopkg.in/yaml.v3"

	"github.com/aftercare/aftercare/shared/app"
	"github.com/aftercare/aftercare/shared/awswire"
	"github.com/aftercare/aftercare/shared/clock"
	"github.com/aftercare/aftercare/shared/compose"
	"github.com/aftercare/aftercare/shared/domain"
	"github.com/aftercare/aftercare/shared/lambdah"
	"github.com/aftercare/aftercare/shared/lambdah/pages"
	"github.com/aftercare/aftercare/shared/mail"
	"github.com/aftercare/aftercare/shared/mail/render"
	"github.com/aftercare/aftercare/shared/schedule"
	localsched "github.com/aftercare/aftercare/shared/schedule/local"
	"github.com/aftercare/aftercare/shared/stdwebhooks"
	"github.com/aftercare/aftercare/shared/store/bolt"
	"github.com/aftercare/aftercare/shared/store/dynamo"
	"github.com/aftercare/aftercare/shared/store/dynamo/layout"
	"github.com/aftercare/aftercare/shared/web"
)

// root is the repository root, where template.yaml and the Makefile live.
const root = ".."

// tmpl is template.yaml in CloudFormation's JSON form: maps, lists and
// strings, with short tags turned into their long form (!Ref X becomes
// {"Ref": "X"}, !GetAtt A.B becomes {"Fn::GetAtt": ["A", "B"]}), so that
// the tests read !Sub and friends without a CloudFormation engine.
type tmpl map[string]any

func loadTemplate(t *testing.T) tmpl {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	m, ok := cfn(t, &doc).(map[string]any)
	if !ok {
		t.Fatal("template.yaml is not a mapping")
	}
	return m
}

// cfn converts a YAML node, resolving CloudFormation's short tags.
func cfn(t *testing.T, n *yaml.Node) any {
	t.Helper()
	switch n.Kind {
	case yaml.DocumentNode:
		return cfn(t, n.Content[0])
	case yaml.AliasNode:
		return cfn(t, n.Alias)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = cfn(t, n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, cfn(t, c))
		}
		v = s
	default:
		v = n.Value
		switch n.Tag {
		case "!!bool", "!!int", "!!float":
			if err := n.Decode(&v); err != nil {
				t.Fatalf("line %d: %v", n.Line, err)
			}
		}
	}
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		name := strings.TrimPrefix(tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		if s, ok := v.(string); ok && name == "Fn::GetAtt" {
			a, b, _ := strings.Cut(s, ".")
			v = []any{a, b}
		}
		return map[string]any{name: v}
	}
	return v
}

// get walks maps by key; missing keys give nil.
func get(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

func list(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	default:
		return []any{x}
	}
}

func (tp tmpl) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range get(map[string]any(tp), "Resources").(map[string]any) {
		if m, ok := r.(map[string]any); ok && str(m["Type"]) == typ {
			out[id] = m
		}
	}
	return out
}

// refTarget returns the logical id a {"Ref": X} or {"Fn::GetAtt": [X, …]}
// points at.
func refTarget(v any) string {
	if r := str(get(v, "Ref")); r != "" {
		return r
	}
	if ga := list(get(v, "Fn::GetAtt")); len(ga) > 0 {
		return str(ga[0])
	}
	return ""
}

// function is one AWS::Serverless::Function with what the code says about it.
type function struct {
	id   string
	dir  string
	fn   awswire.Function
	res  map[string]any
	env  map[string]bool
	acts map[string]bool // actions its inline policies allow
}

func functions(t *testing.T, tp tmpl) []function {
	t.Helper()
	byName := map[string]awswire.Function{}
	for _, f := range awswire.Functions {
		byName[f.Name] = f
	}
	var out []function
	for id, r := range tp.resources("AWS::Serverless::Function") {
		name, ok := strings.CutSuffix(id, "Function")
		if !ok {
			t.Errorf("%s: function logical ids end in Function (the Makefile's build-%%Function rule maps them to functions/<name>)", id)
			continue
		}
		f := function{id: id, dir: strings.ToLower(name), res: r, env: map[string]bool{}, acts: map[string]bool{}}
		if f.fn, ok = byName[f.dir]; !ok {
			t.Errorf("%s: no awswire.Function named %q", id, f.dir)
			continue
		}
		for _, vars := range []any{
			get(map[string]any(tp), "Globals", "Function", "Environment", "Variables"),
			get(r, "Properties", "Environment", "Variables"),
		} {
			if m, ok := vars.(map[string]any); ok {
				for k := range m {
					f.env[k] = true
				}
			}
		}
		for _, p := range list(get(r, "Properties", "Policies")) {
			st, ok := get(p, "Statement").([]any)
			if !ok {
				t.Errorf("%s: policy %v is not an inline Statement list; managed policies and SAM policy templates grant more than the function uses", id, p)
				continue
			}
			for _, s := range st {
				if str(get(s, "Effect")) == "Allow" {
					for _, a := range list(get(s, "Action")) {
						f.acts[str(a)] = true
					}
				}
			}
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	if len(out) == 0 {
		t.Fatal("template.yaml declares no functions")
	}
	return out
}

// TestTemplateFunctions checks each function's build, settings and
// permissions against the code: it is built with the Makefile's flags for
// Lambda, gets every environment variable awswire requires of it, and may
// call exactly the AWS operations its composition uses.
func TestTemplateFunctions(t *testing.T) {
	tp := loadTemplate(t)
	globals := get(map[string]any(tp), "Globals", "Function")
	for k, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "MemorySize": "128"} {
		if got := get(globals, k); fmt.Sprint(got) != want {
			t.Errorf("Globals.Function.%s = %v, want %s", k, got, want)
		}
	}
	if a := list(get(globals, "Architectures")); len(a) != 1 || str(a[0]) != "arm64" {
		t.Errorf("Globals.Function.Architectures = %v, want [arm64]", a)
	}
	if str(get(globals, "LoggingConfig", "LogFormat")) != "JSON" {
		t.Error("Globals.Function.LoggingConfig.LogFormat is not JSON")
	}

	fns := functions(t, tp)
	dirs, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		name := filepath.Base(filepath.Dir(d))
		if !slices.ContainsFunc(fns, func(f function) bool { return f.dir == name }) {
			t.Errorf("functions/%s is not deployed by template.yaml", name)
		}
	}
	for _, f := range fns {
		t.Run(f.id, func(t *testing.T) {
			if m := str(get(f.res, "Metadata", "BuildMethod")); m != "makefile" {
				t.Errorf("Metadata.BuildMethod = %q, want makefile", m)
			}
			if c := str(get(f.res, "Properties", "CodeUri")); c != "." {
				t.Errorf("CodeUri = %q, want . (the Makefile and go.mod are at the root)", c)
			}
			for _, k := range f.fn.RequiredEnv() {
				if !f.env[k] {
					t.Errorf("environment lacks %s, which the %s function requires", k, f.dir)
				}
			}
			if vars, ok := get(f.res, "Properties", "Environment", "Variables").(map[string]any); ok {
				for k := range vars {
					if !slices.Contains(f.fn.RequiredEnv(), k) {
						t.Errorf("environment sets %s, which the %s function does not read", k, f.dir)
					}
				}
			}
			want := map[string]bool{"ssm:GetParameters": true}
			if !f.fn.Stream { // the planner works from the stream's images
				want["dynamodb:GetItem"], want["dynamodb:PutItem"] = true, true
			}
			if f.fn.Counts { // AddCounts: one TransactWriteItems (TestTemplateTableGrants checks on which items)
				want["dynamodb:PutItem"], want["dynamodb:UpdateItem"], want["dynamodb:ConditionCheckItem"] = true, true, true
			}
			if f.fn.Team { // ephemera, counters, Page and NeedingAttention
				want["dynamodb:UpdateItem"], want["dynamodb:DeleteItem"], want["dynamodb:BatchGetItem"], want["dynamodb:Query"] = true, true, true, true
			}
			if f.fn.Scheduler {
				want["scheduler:CreateSchedule"], want["scheduler:DeleteSchedule"], want["iam:PassRole"] = true, true, true
			}
			if f.fn.Mailer {
				want["ses:SendEmail"] = true
			}
			if f.fn.Inbound {
				want["s3:GetObject"] = true
			}
			if f.fn.RenderThroughDispatch {
				want["lambda:InvokeFunction"] = true
			}
			for a := range want {
				if !f.acts[a] {
					t.Errorf("policies lack %s, which the %s function calls", a, f.dir)
				}
			}
			for a := range f.acts {
				if !want[a] && !streamAction(a) {
					t.Errorf("policies allow %s, which the %s function does not call", a, f.dir)
				}
			}
		})
	}
}

// parameterARN is how template.yaml names one parameter under SecretsPath
// (a !Sub; SecretsPath starts with "/" and has no trailing slash, see its
// AllowedPattern), capturing the parameter's name.
var parameterARN = regexp.MustCompile(`^arn:\$\{AWS::Partition\}:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter\$\{SecretsPath\}/([a-z0-9-]+)$`)

// TestTemplateSecrets: each function's role may read exactly the Parameter
// Store parameters its code reads (awswire.Function.Parameters, which
// LoadSecrets asks for), each named in full under SecretsPath, with
// ssm:GetParameters alone. No grant on the path, a wildcard or another
// function's parameter: a function cannot read a secret it does not use,
// and one missing grant would fail its cold start (GetParameters refuses
// the whole call if any name is denied).
func TestTemplateSecrets(t *testing.T) {
	tp := loadTemplate(t)
	for _, f := range functions(t, tp) {
		t.Run(f.id, func(t *testing.T) {
			got := map[string]bool{}
			for i, s := range statements(f.res) {
				if str(get(s, "Effect")) != "Allow" {
					continue
				}
				acts := list(get(s, "Action"))
				if !slices.ContainsFunc(acts, func(a any) bool { return strings.HasPrefix(strings.ToLower(str(a)), "ssm:") }) {
					continue
				}
				where := fmt.Sprintf("statement %d (%s)", i, str(get(s, "Sid")))
				if len(acts) != 1 || str(acts[0]) != "ssm:GetParameters" {
					t.Errorf("%s allows %v; secrets are read with ssm:GetParameters alone", where, acts)
				}
				if get(s, "NotResource") != nil || get(s, "Resource") == nil {
					t.Errorf("%s does not list its parameters in Resource", where)
				}
				for _, r := range list(get(s, "Resource")) {
					m := parameterARN.FindStringSubmatch(str(get(r, "Fn::Sub")))
					if m == nil {
						t.Errorf("%s: resource %v is not one parameter, !Sub arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SecretsPath}/<name>", where, r)
						continue
					}
					if got[m[1]] {
						t.Errorf("%s: parameter %s granted twice", where, m[1])
					}
					got[m[1]] = true
				}
			}
			want := f.fn.Parameters()
			for _, name := range want {
				if !got[name] {
					t.Errorf("role cannot read SecretsPath/%s, which the %s function reads (awswire.Function.Parameters)", name, f.dir)
				}
			}
			for name := range got {
				if !slices.Contains(want, name) {
					t.Errorf("role may read SecretsPath/%s, which the %s function does not use", name, f.dir)
				}
			}
		})
	}
}

// statements returns a function's inline policy statements.
func statements(res map[string]any) []any {
	var out []any
	for _, p := range list(get(res, "Properties", "Policies")) {
		st, _ := get(p, "Statement").([]any)
		out = append(out, st...)
	}
	return out
}

// streamAction is what a stream-triggered function's event source mapping
// needs from its role (checked against the mapping in TestTemplateStream).
func streamAction(a string) bool {
	switch a {
	case "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams", "sqs:SendMessage":
		return true
	}
	return false
}

// TestTemplateDispatchTarget: every schedule targets the dispatch
// function, which schedules too (a survey's reminder, a failed send's
// retry). Its ARN is therefore spelled from a fixed function name, the same
// in the functions' environment and in the scheduler role's policy, and
// every function that schedules may pass exactly that role to Scheduler.
func TestTemplateDispatchTarget(t *testing.T) {
	tp := loadTemplate(t)
	var dispatch *function
	fns := functions(t, tp)
	for i, f := range fns {
		if f.fn.Name == awswire.Dispatch.Name {
			dispatch = &fns[i]
		}
	}
	if dispatch == nil {
		t.Fatal("no dispatch function")
	}
	if !dispatch.fn.Scheduler {
		t.Error("awswire.Dispatch has no scheduler, but Service.Dispatch reconciles after every send")
	}
	name := str(get(dispatch.res, "Properties", "FunctionName", "Fn::Sub"))
	const stack = "${AWS::StackName}"
	suffix, ok := strings.CutPrefix(name, stack)
	if !ok || strings.Contains(suffix, "$") || suffix == "" {
		t.Fatalf("%s: FunctionName %v, want !Sub ${AWS::StackName}-<suffix>", dispatch.id, get(dispatch.res, "Properties", "FunctionName"))
	}
	// Lambda names are at most 64 characters; CloudFormation's stack
	// names up to 128, so the template must say how long the stack's may be.
	maxStack := 64 - len(suffix)
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "stack name may be at most "+strconv.Itoa(maxStack)+" characters") {
		t.Errorf("template.yaml does not say the stack name may be at most %d characters (%s is %s)", maxStack, dispatch.id, name)
	}
	wantArn := "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" + name

	// A function that renders through dispatch may invoke dispatch, and
	// nothing else.
	for _, f := range fns {
		for _, st := range statements(f.res) {
			acts := list(get(st, "Action"))
			if a := str(get(st, "Action")); a != "" {
				acts = []any{a}
			}
			if !slices.ContainsFunc(acts, func(a any) bool { return str(a) == "lambda:InvokeFunction" }) {
				continue
			}
			if !f.fn.RenderThroughDispatch {
				t.Errorf("%s may invoke functions, but does not render through dispatch", f.id)
			}
			if got := str(get(st, "Resource", "Fn::Sub")); got != wantArn || len(acts) != 1 {
				t.Errorf("%s: lambda:InvokeFunction on %v (actions %v), want only that, on !Sub %s", f.id, get(st, "Resource"), acts, wantArn)
			}
		}
	}

	globalEnv := get(map[string]any(tp), "Globals", "Function", "Environment", "Variables")
	for _, f := range fns {
		if !f.fn.Scheduler {
			continue
		}
		v := get(f.res, "Properties", "Environment", "Variables", awswire.EnvDispatchARN)
		if v == nil {
			v = get(globalEnv, awswire.EnvDispatchARN)
		}
		if got := str(get(v, "Fn::Sub")); got != wantArn {
			t.Errorf("%s: %s = %v, want !Sub %s", f.id, awswire.EnvDispatchARN, v, wantArn)
		}
	}

	// The scheduler role: one, named by every scheduling function's
	// environment, trusted by Scheduler, allowed to invoke dispatch only.
	roles := map[string]bool{}
	for _, f := range fns {
		if f.fn.Scheduler {
			v := get(f.res, "Properties", "Environment", "Variables", awswire.EnvSchedulerRoleARN)
			if v == nil {
				v = get(globalEnv, awswire.EnvSchedulerRoleARN)
			}
			ga := list(get(v, "Fn::GetAtt"))
			if len(ga) != 2 || str(ga[1]) != "Arn" {
				t.Errorf("%s: %s = %v, want !GetAtt <role>.Arn", f.id, awswire.EnvSchedulerRoleARN, v)
				continue
			}
			roles[str(ga[0])] = true
		}
	}
	if len(roles) != 1 {
		t.Fatalf("the functions name %d scheduler roles, want 1: %v", len(roles), roles)
	}
	var roleID string
	for id := range roles {
		roleID = id
	}
	role, ok := tp.resources("AWS::IAM::Role")[roleID]
	if !ok {
		t.Fatalf("%s is not an IAM role of the template", roleID)
	}
	trusted := false
	for _, st := range list(get(role, "Properties", "AssumeRolePolicyDocument", "Statement")) {
		trusted = trusted || str(get(st, "Principal", "Service")) == "scheduler.amazonaws.com"
	}
	if !trusted {
		t.Errorf("%s does not trust scheduler.amazonaws.com", roleID)
	}
	invokes := 0
	for _, pol := range list(get(role, "Properties", "Policies")) {
		for _, st := range list(get(pol, "PolicyDocument", "Statement")) {
			if !slices.Contains(list(get(st, "Action")), any("lambda:InvokeFunction")) {
				continue
			}
			for _, r := range list(get(st, "Resource")) {
				invokes++
				if got := str(get(r, "Fn::Sub")); got != wantArn {
					t.Errorf("%s may invoke %v, want !Sub %s (not a !GetAtt: %s passes this role)", roleID, r, wantArn, dispatch.id)
				}
			}
		}
	}
	if invokes != 1 {
		t.Errorf("%s may invoke %d functions, want the dispatch function only", roleID, invokes)
	}

	// Every scheduling function, dispatch included, may manage the group's
	// schedules and pass that role to Scheduler and to nothing else.
	for _, f := range fns {
		if !f.fn.Scheduler {
			continue
		}
		var passes, manages int
		for _, p := range list(get(f.res, "Properties", "Policies")) {
			for _, st := range list(get(p, "Statement")) {
				acts := list(get(st, "Action"))
				switch {
				case slices.Contains(acts, any("iam:PassRole")):
					passes++
					if refTarget(get(st, "Resource")) != roleID || len(list(get(st, "Resource"))) != 1 {
						t.Errorf("%s may pass %v, want %s only", f.id, get(st, "Resource"), roleID)
					}
					if got := str(get(st, "Condition", "StringEquals", "iam:PassedToService")); got != "scheduler.amazonaws.com" {
						t.Errorf("%s may pass %s to %q, want scheduler.amazonaws.com only", f.id, roleID, got)
					}
				case slices.Contains(acts, any("scheduler:CreateSchedule")):
					manages++
					want := "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${" +
						refTarget(get(f.res, "Properties", "Environment", "Variables", awswire.EnvScheduleGroup)) + "}/*"
					if got := str(get(st, "Resource", "Fn::Sub")); got != want {
						t.Errorf("%s may manage schedules %v, want !Sub %s (its %s's)", f.id, get(st, "Resource"), want, awswire.EnvScheduleGroup)
					}
				}
			}
		}
		if passes != 1 || manages != 1 {
			t.Errorf("%s: %d iam:PassRole and %d scheduler statements, want 1 each", f.id, passes, manages)
		}
	}
}

// TestTemplateAcyclic: CloudFormation refuses a template whose resources
// depend on each other in a circle, and SAM's own resources (each
// function's role) close circles that are not visible among the template's
// logical ids. The graph is built as CloudFormation and SAM see it.
func TestTemplateAcyclic(t *testing.T) {
	tp := loadTemplate(t)
	g := dependencies(t, tp)
	for id, deps := range g {
		if slices.Contains(deps, id) {
			t.Errorf("%s refers to itself", id)
		}
	}
	if c := cycle(g); c != nil {
		t.Errorf("dependency cycle: %s", strings.Join(c, " → "))
	}

	// The check finds the cycles it is for: dispatch's ARN taken from the
	// function, in the scheduler role or in dispatch's own environment.
	getAttDispatch := map[string]any{"Fn::GetAtt": []any{"DispatchFunction", "Arn"}}
	for name, mutate := range map[string]func(tp tmpl){
		"scheduler role": func(tp tmpl) {
			for _, pol := range list(get(map[string]any(tp), "Resources", "SchedulerRole", "Properties", "Policies")) {
				for _, st := range list(get(pol, "PolicyDocument", "Statement")) {
					if slices.Contains(list(get(st, "Action")), any("lambda:InvokeFunction")) {
						st.(map[string]any)["Resource"] = getAttDispatch
					}
				}
			}
		},
		"globals": func(tp tmpl) {
			get(map[string]any(tp), "Globals", "Function", "Environment", "Variables").(map[string]any)[awswire.EnvDispatchARN] = getAttDispatch
		},
	} {
		bad := loadTemplate(t)
		mutate(bad)
		if cycle(dependencies(t, bad)) == nil {
			t.Errorf("with dispatch's ARN from !GetAtt in the %s, the check finds no cycle", name)
		}
	}
}

// dependencies returns, for each resource of tp and each resource SAM
// generates from it that others may depend on, the resources it depends on:
// through Ref, Fn::GetAtt, ${…} in Fn::Sub (both branches of an Fn::If
// counted) and DependsOn. For an AWS::Serverless::Function, SAM's implicit
// resources are modelled too:
//   - its execution role <Id>Role (unless Role names one) holds Policies
//     and EventInvokeConfig's destinations, and the function depends on it;
//   - Globals.Function applies to it;
//   - an S3 event makes the bucket's notification, so the bucket depends on
//     the function (the function does not depend on the bucket); other
//     events become mappings or permissions that depend on both.
func dependencies(t *testing.T, tp tmpl) map[string][]string {
	t.Helper()
	resources := get(map[string]any(tp), "Resources").(map[string]any)
	params, _ := get(map[string]any(tp), "Parameters").(map[string]any)
	g := map[string][]string{}
	known := func(id string) bool {
		_, r := resources[id]
		_, p := params[id]
		_, gen := g[id]
		return r || p || gen || strings.HasPrefix(id, "AWS::")
	}
	var edges [][2]string // from, to: kept once every node exists
	add := func(from, to string) { edges = append(edges, [2]string{from, to}) }
	subVar := regexp.MustCompile(`\$\{([^}!][^}]*)\}`)
	var refs func(from string, v any)
	refs = func(from string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["Ref"].(string); ok {
				add(from, r)
			}
			if ga, ok := x["Fn::GetAtt"]; ok {
				switch a := ga.(type) {
				case string:
					id, _, _ := strings.Cut(a, ".")
					add(from, id)
				case []any:
					if len(a) > 0 {
						add(from, str(a[0]))
					}
				}
			}
			if sub, ok := x["Fn::Sub"]; ok {
				text, local := str(sub), map[string]any{}
				if l := list(sub); len(l) == 2 {
					text = str(l[0])
					local, _ = l[1].(map[string]any)
				}
				for _, m := range subVar.FindAllStringSubmatch(text, -1) {
					id, _, _ := strings.Cut(m[1], ".")
					if _, isLocal := local[m[1]]; !isLocal && !strings.Contains(m[1], "::") {
						add(from, id)
					}
				}
			}
			for k, e := range x {
				if k != "Ref" && k != "Fn::GetAtt" {
					refs(from, e)
				}
			}
		case []any:
			for _, e := range x {
				refs(from, e)
			}
		}
	}
	globals := get(map[string]any(tp), "Globals", "Function")
	for id, r := range resources {
		g[id] = []string{}
		for _, d := range list(get(r, "DependsOn")) {
			add(id, str(d))
		}
		props, _ := get(r, "Properties").(map[string]any)
		if str(get(r, "Type")) != "AWS::Serverless::Function" {
			refs(id, props)
			continue
		}
		refs(id, globals)
		role := id + "Role"
		if explicit := get(props, "Role"); explicit != nil {
			refs(id, explicit)
		} else {
			g[role] = []string{}
			add(id, role)
			refs(role, get(props, "Policies"))
			refs(role, get(props, "EventInvokeConfig"))
			refs(role, get(props, "PermissionsBoundary"))
		}
		for k, v := range props {
			switch k {
			case "Role", "Policies", "EventInvokeConfig", "PermissionsBoundary", "Events":
			default:
				refs(id, v)
			}
		}
		evs, _ := get(props, "Events").(map[string]any)
		for name, ev := range evs {
			if str(get(ev, "Type")) == "S3" {
				// The bucket's NotificationConfiguration names the function.
				add(refTarget(get(ev, "Properties", "Bucket")), id)
				continue
			}
			node := id + name // the mapping or permission SAM generates
			g[node] = []string{}
			add(node, id)
			refs(node, ev)
		}
	}
	for _, e := range edges {
		from, to := e[0], e[1]
		if !known(to) {
			t.Errorf("%s refers to %q, which is neither a resource (nor one SAM generates) nor a parameter", from, to)
		}
		if _, node := g[to]; node && !slices.Contains(g[from], to) {
			g[from] = append(g[from], to)
		}
	}
	return g
}

// cycle returns a dependency cycle of g (its first node repeated at the
// end), or nil if g is acyclic. Nodes are visited in sorted order, so the
// cycle reported is the same on every run.
func cycle(g map[string][]string) []string {
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(n string) []string
	visit = func(n string) []string {
		state[n] = open
		stack = append(stack, n)
		deps := slices.Clone(g[n])
		slices.Sort(deps)
		for _, d := range deps {
			switch state[d] {
			case open:
				i := slices.Index(stack, d)
				return append(slices.Clone(stack[i:]), d)
			case unseen:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return nil
	}
	nodes := make([]string, 0, len(g))
	for n := range g {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// TestTemplateFunctionsBuild builds every function as the Makefile's
// build-<LogicalId> rule does for SAM, and checks that rule points at the
// right directory.
func TestTemplateFunctionsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every Lambda binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	for _, f := range functions(t, loadTemplate(t)) {
		t.Run(f.id, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "bootstrap")
			cmd := exec.Command(goBin, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./functions/"+f.dir)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build ./functions/%s: %v\n%s", f.dir, err, b)
			}
			e, err := elf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if e.Machine != elf.EM_AARCH64 {
				t.Errorf("bootstrap is for %v, want arm64", e.Machine)
			}

			if _, err := exec.LookPath("make"); err != nil {
				return
			}
			mk := exec.Command("make", "-n", "build-"+f.id, "ARTIFACTS_DIR=/artifacts")
			mk.Dir = root
			b, err := mk.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n build-%s: %v\n%s", f.id, err, b)
			}
			for _, want := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "lambda.norpc", "-o /artifacts/bootstrap", "./functions/" + f.dir} {
				if !strings.Contains(string(b), want) {
					t.Errorf("make build-%s runs %q, which lacks %q", f.id, b, want)
				}
			}
		})
	}
}

// TestTemplateRoutes sends each API route's method and path through the
// web handler composed for the function the route integrates, and checks
// the handler's mux serves it (a 404 or 405 from the mux would mean API
// Gateway forwards requests the function cannot route). It also checks
// that every public route of the web handler has an API route.
func TestTemplateRoutes(t *testing.T) {
	tp := loadTemplate(t)
	fnOf := map[string]awswire.Function{}
	for _, f := range functions(t, tp) {
		fnOf[f.id] = f.fn
	}
	integrations := tp.resources("AWS::ApiGatewayV2::Integration")
	for id, in := range integrations {
		if str(get(in, "Properties", "IntegrationType")) != "AWS_PROXY" || str(get(in, "Properties", "PayloadFormatVersion")) != "2.0" {
			t.Errorf("%s: want an AWS_PROXY integration with payload format 2.0 (what lambdah.HTTP decodes)", id)
		}
	}
	for id, st := range tp.resources("AWS::ApiGatewayV2::Stage") {
		if str(get(st, "Properties", "StageName")) != "$default" {
			t.Errorf("%s: a stage other than $default prefixes every path, which the handler does not strip", id)
		}
	}

	type route struct{ method, path, fn string }
	var routes []route
	targetRef := regexp.MustCompile(`^integrations/\$\{(\w+)\}$`)
	for id, r := range tp.resources("AWS::ApiGatewayV2::Route") {
		method, path, ok := strings.Cut(str(get(r, "Properties", "RouteKey")), " ")
		m := targetRef.FindStringSubmatch(str(get(r, "Properties", "Target", "Fn::Sub")))
		if !ok || m == nil {
			t.Errorf("%s: want RouteKey \"METHOD /path\" and Target !Sub integrations/${Integration}", id)
			continue
		}
		routes = append(routes, route{method, path, refTarget(get(integrations[m[1]], "Properties", "IntegrationUri"))})
	}
	// SAM HttpApi events, should any function use them.
	for id, f := range tp.resources("AWS::Serverless::Function") {
		if ev, ok := get(f, "Properties", "Events").(map[string]any); ok {
			for _, e := range ev {
				if str(get(e, "Type")) == "HttpApi" {
					routes = append(routes, route{strings.ToUpper(str(get(e, "Properties", "Method"))), str(get(e, "Properties", "Path")), id})
				}
			}
		}
	}

	placeholder := regexp.MustCompile(`\{(\w+)\+?\}`)
	values := map[string]string{"provider": "aftercare", "token": "not-a-token", "id": "inc_none", "action": "take", "file": "incidents.csv"}
	handlers := map[string]http.Handler{}
	var have []string
	for _, r := range routes {
		have = append(have, r.method+" "+r.path)
		fn, ok := fnOf[r.fn]
		if !ok {
			t.Errorf("route %s %s integrates %q, not a function of the template", r.method, r.path, r.fn)
			continue
		}
		h := handlers[r.fn]
		if h == nil {
			h = composeHTTP(t, fn)
			handlers[r.fn] = h
		}
		path := placeholder.ReplaceAllStringFunc(r.path, func(p string) string {
			return values[placeholder.FindStringSubmatch(p)[1]]
		})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(r.method, path, strings.NewReader("")))
		body, _ := io.ReadAll(w.Result().Body)
		fromMux := w.Code == http.StatusMethodNotAllowed ||
			w.Code == http.StatusNotFound && strings.HasPrefix(string(body), "404 page not found")
		if fromMux {
			t.Errorf("%s %s (as %s %s) is routed to %s, whose handler does not serve it: %d %s", r.method, r.path, r.method, path, r.fn, w.Code, body)
		}
		if r.method == http.MethodPost && strings.HasPrefix(r.path, "/webhooks/") && w.Code == http.StatusNotFound {
			t.Errorf("%s %s is routed to %s, which has no webhook provider %q: %s", r.method, r.path, r.fn, values["provider"], body)
		}
	}
	// arnGlob is a SourceArn pattern as IAM reads it: * is any run of
	// characters, slashes included.
	arnGlob := func(pattern string) *regexp.Regexp {
		parts := strings.Split(pattern, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
	}
	// API Gateway may invoke a function only where a Lambda permission's
	// SourceArn matches the request ("<api>/<stage>/<METHOD>/<path>"):
	// a route outside every pattern answers 500 on AWS alone.
	perms := map[string][]string{}
	for _, p := range tp.resources("AWS::Lambda::Permission") {
		if str(get(p, "Properties", "Principal")) != "apigateway.amazonaws.com" {
			continue
		}
		arn := str(get(p, "Properties", "SourceArn", "Fn::Sub"))
		if _, pattern, ok := strings.Cut(arn, "${HttpApi}/"); ok {
			fn := refTarget(get(p, "Properties", "FunctionName"))
			perms[fn] = append(perms[fn], pattern)
		}
	}
	for _, r := range routes {
		path := placeholder.ReplaceAllStringFunc(r.path, func(p string) string {
			return values[placeholder.FindStringSubmatch(p)[1]]
		})
		req := "$default/" + r.method + path
		if !slices.ContainsFunc(perms[r.fn], func(pattern string) bool { return arnGlob(pattern).MatchString(req) }) {
			t.Errorf("%s %s: no Lambda permission lets API Gateway invoke %s for %s (patterns %q)", r.method, r.path, r.fn, req, perms[r.fn])
		}
	}
	for _, want := range web.New(web.Config{}).Routes() {
		if !slices.Contains(have, want) {
			t.Errorf("no API route for %s, which the web handler serves", want)
		}
	}
}

type nopMailer struct{}

func (nopMailer) Send(context.Context, mail.Message) (string, error) { return "m", nil }

// fakeSSM answers GetParameters as Parameter Store does, from params.
func fakeSSM(t *testing.T, params map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Names []string }
		if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameters" || json.NewDecoder(r.Body).Decode(&in) != nil {
			http.Error(w, `{"__type":"ValidationException","message":"bad request"}`, http.StatusBadRequest)
			return
		}
		out := map[string]any{"Parameters": []any{}, "InvalidParameters": []string{}}
		for _, n := range in.Names {
			if v, ok := params[n]; ok {
				out["Parameters"] = append(out["Parameters"].([]any), map[string]string{"Name": n, "Type": "SecureString", "Value": v})
			} else {
				out["InvalidParameters"] = append(out["InvalidParameters"].([]string), n)
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// compose builds f's HTTP handler as its main does on AWS: settings read
// by awswire.Load from the environment template.yaml sets and a fake
// Parameter Store, adapters embedded.
func composeHTTP(t *testing.T, f awswire.Function) http.Handler {
	t.Helper()
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "aftercare.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sc, err := localsched.Open(filepath.Join(dir, "schedules.db"), clock.System{},
		func(context.Context, schedule.Fire) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sc.Close() })
	ssm := fakeSSM(t, map[string]string{
		"/aftercare/test/link-secret":    "0123456789abcdef0123456789abcdef",
		"/aftercare/test/webhook-secret": stdwebhooks.DevSecret,
		"/aftercare/test/contact-key":    "0123456789abcdef0123456789abcdef-contact",
	})
	env := map[string]string{
		awswire.EnvTable: "t", awswire.EnvSecretsPath: "/aftercare/test", awswire.EnvPublicURL: "https://example.com",
		awswire.EnvFrom: "care@example.com", awswire.EnvScheduleGroup: "g",
		awswire.EnvDispatchARN:      "arn:aws:lambda:eu-west-1:123456789012:function:d",
		awswire.EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/r",
		awswire.EnvScheduleDLQARN:   "arn:aws:sqs:eu-west-1:123456789012:q", awswire.EnvSESConfigurationSet: "c",
		awswire.EnvReplyAddress: "care@reply.example.com", awswire.EnvTeamEmail: "desk@example.com",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL": ssm.URL,
	}
	e, err := awswire.Load(t.Context(), f, func(k string) string { return env[k] }, ssm.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ports := compose.Ports{Store: st, Scheduler: sc}
	if f.Mailer {
		ports.Mailer, ports.Renderer = nopMailer{}, render.New(e.Settings.Brand)
	}
	var h http.Handler
	switch f.Name {
	case awswire.Ingest.Name:
		h, err = lambdah.Ingest(e.Settings, ports, nil)
	case awswire.Respond.Name:
		h, err = pages.Respond(e.Settings, ports, nil)
	default:
		t.Fatalf("%s serves no HTTP", f.Name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestTemplateNoWildcardActions: no IAM statement anywhere in the template
// allows a wildcard action ("*", "<service>:*" or a prefix like
// "sqs:Send*"), or everything but some actions (NotAction).
func TestTemplateNoWildcardActions(t *testing.T) {
	tp := loadTemplate(t)
	statements := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if st, ok := x["Statement"].([]any); ok {
				for i, s := range st {
					statements++
					where := path + ".Statement[" + strconv.Itoa(i) + "]"
					if get(s, "NotAction") != nil && str(get(s, "Effect")) != "Deny" {
						t.Errorf("%s allows NotAction", where)
					}
					for _, a := range list(get(s, "Action")) {
						if as := str(a); as == "" || strings.Contains(as, "*") {
							t.Errorf("%s allows the action %v", where, a)
						}
					}
				}
			}
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(path+"["+strconv.Itoa(i)+"]", e)
			}
		}
	}
	walk("", map[string]any(tp))
	if statements < 5 {
		t.Errorf("found only %d IAM statements; is the walker reading the template?", statements)
	}
}

// TestTemplateTable checks the table against shared/store/dynamo, which
// reads and writes it.
func TestTemplateTable(t *testing.T) {
	tables := loadTemplate(t).resources("AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("%d tables, want 1", len(tables))
	}
	var p any
	for _, tb := range tables {
		p = get(tb, "Properties")
	}
	want := dynamo.CreateTableInput("x")
	if got := str(get(p, "BillingMode")); got != string(want.BillingMode) {
		t.Errorf("BillingMode %q, want %s", got, want.BillingMode)
	}
	attrs := map[string]string{}
	for _, a := range list(get(p, "AttributeDefinitions")) {
		attrs[str(get(a, "AttributeName"))] = str(get(a, "AttributeType"))
	}
	wantAttrs := map[string]string{}
	for _, a := range want.AttributeDefinitions {
		wantAttrs[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	if !mapsEqual(attrs, wantAttrs) {
		t.Errorf("AttributeDefinitions %v, want %v", attrs, wantAttrs)
	}
	keys := func(v any) []string {
		var out []string
		for _, k := range list(v) {
			out = append(out, str(get(k, "AttributeName"))+" "+str(get(k, "KeyType")))
		}
		return out
	}
	var wantKeys []string
	for _, k := range want.KeySchema {
		wantKeys = append(wantKeys, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	if got := keys(get(p, "KeySchema")); !slices.Equal(got, wantKeys) {
		t.Errorf("KeySchema %v, want %v", got, wantKeys)
	}
	gsis := list(get(p, "GlobalSecondaryIndexes"))
	if len(gsis) != len(want.GlobalSecondaryIndexes) {
		t.Fatalf("%d GSIs, want %d", len(gsis), len(want.GlobalSecondaryIndexes))
	}
	for i, g := range want.GlobalSecondaryIndexes {
		var gk []string
		for _, k := range g.KeySchema {
			gk = append(gk, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
		}
		if name := str(get(gsis[i], "IndexName")); name != aws.ToString(g.IndexName) {
			t.Errorf("GSI %d named %q, want %s", i, name, aws.ToString(g.IndexName))
		}
		if got := keys(get(gsis[i], "KeySchema")); !slices.Equal(got, gk) {
			t.Errorf("GSI %s keys %v, want %v", aws.ToString(g.IndexName), got, gk)
		}
		if got := str(get(gsis[i], "Projection", "ProjectionType")); got != string(g.Projection.ProjectionType) {
			t.Errorf("GSI %s projection %q, want %s", aws.ToString(g.IndexName), got, g.Projection.ProjectionType)
		}
	}
	if got := str(get(p, "TimeToLiveSpecification", "AttributeName")); got != dynamo.TTLAttribute || get(p, "TimeToLiveSpecification", "Enabled") != true {
		t.Errorf("TTL on %q (enabled %v), want %s", got, get(p, "TimeToLiveSpecification", "Enabled"), dynamo.TTLAttribute)
	}
	if get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
		t.Error("point-in-time recovery is off")
	}
	if v := str(get(p, "StreamSpecification", "StreamViewType")); v != "NEW_AND_OLD_IMAGES" {
		t.Errorf("StreamViewType %q, want NEW_AND_OLD_IMAGES (the planner reconciles from both images)", v)
	}
}

// tableGrant is one Allow statement's DynamoDB actions on the table or its
// indexes, with the partition-key prefixes it is limited to (nil: all).
type tableGrant struct {
	sid       string
	actions   []string
	resources []string // "table", or the !Sub of an index ARN
	leading   []string // dynamodb:LeadingKeys patterns; nil if unconditioned
	condition any
}

// tableGrants returns a function's grants on the table (stream access,
// which the mapping needs, apart).
func tableGrants(t *testing.T, f function) []tableGrant {
	t.Helper()
	var out []tableGrant
	for _, s := range statements(f.res) {
		if str(get(s, "Effect")) != "Allow" {
			continue
		}
		g := tableGrant{sid: str(get(s, "Sid")), condition: get(s, "Condition")}
		for _, a := range list(get(s, "Action")) {
			if strings.HasPrefix(str(a), "dynamodb:") && !streamAction(str(a)) {
				g.actions = append(g.actions, str(a))
			}
		}
		if len(g.actions) == 0 {
			continue
		}
		for _, r := range list(get(s, "Resource")) {
			switch {
			case refTarget(r) == "Table" && len(list(get(r, "Fn::GetAtt"))) == 2 && str(list(get(r, "Fn::GetAtt"))[1]) == "Arn":
				g.resources = append(g.resources, "table")
			case str(get(r, "Fn::Sub")) != "":
				g.resources = append(g.resources, str(get(r, "Fn::Sub")))
			default:
				t.Errorf("%s %s: resource %v is neither the table nor one of its indexes", f.id, g.sid, r)
			}
		}
		for _, k := range list(get(s, "Condition", "ForAllValues:StringLike", "dynamodb:LeadingKeys")) {
			g.leading = append(g.leading, str(k))
		}
		out = append(out, g)
	}
	return out
}

// TestTemplateTableGrants: what a role may do to the table is limited to
// the items its function touches, by their partition-key prefixes
// (dynamodb:LeadingKeys). The planner may write only the report counters
// and change markers; the team's pages may get and put only incidents,
// people's records and ephemeral items, delete and update only ephemeral
// items (sessions, tokens, rate limits), batch-read only incidents and
// counters, and query only the listing and attention indexes. No role may delete or update an incident in place.
func TestTemplateTableGrants(t *testing.T) {
	tp := loadTemplate(t)
	counters := []string{layout.CountsKeyPrefix + "*", layout.ChangeKeyPrefix + "*"}
	ephemera := []string{layout.EphemeralKeyPrefix + "*"}
	teamReads := []string{layout.IncidentKeyPrefix + "*", layout.CountsKeyPrefix + "*"}
	indexes := []string{"${Table.Arn}/index/" + layout.GSI1, "${Table.Arn}/index/" + layout.GSI2}
	for _, f := range functions(t, tp) {
		t.Run(f.id, func(t *testing.T) {
			for _, g := range tableGrants(t, f) {
				where := fmt.Sprintf("statement %s %v", g.sid, g.actions)
				if g.leading != nil {
					c, _ := g.condition.(map[string]any)
					if like, _ := get(c, "ForAllValues:StringLike").(map[string]any); len(c) != 1 || len(like) != 1 {
						t.Errorf("%s: condition %v, want dynamodb:LeadingKeys alone", where, g.condition)
					}
				}
				if f.fn.Stream && !slices.Equal(g.leading, counters) {
					t.Errorf("%s: the planner may write only the counters and change markers, LeadingKeys %v; got %v", where, counters, g.leading)
					continue
				}
				for _, a := range g.actions {
					switch {
					case a == "dynamodb:DeleteItem" || a == "dynamodb:UpdateItem":
						if !slices.Equal(g.leading, ephemera) && !(f.fn.Counts && slices.Equal(g.leading, counters)) {
							t.Errorf("%s: %s limited to %v; only ephemeral items (%v) may be deleted or updated in place", where, a, g.leading, ephemera)
						}
					case (a == "dynamodb:GetItem" || a == "dynamodb:PutItem") && f.fn.Team:
						if want := []string{layout.IncidentKeyPrefix + "*", layout.ContactKeyPrefix + "*", layout.EphemeralKeyPrefix + "*"}; !slices.Equal(g.leading, want) {
							t.Errorf("%s: %s limited to %v, want %v (the team's pages must not write counters)", where, a, g.leading, want)
						}
					case a == "dynamodb:BatchGetItem" && f.fn.Team:
						if !slices.Equal(g.leading, teamReads) {
							t.Errorf("%s: BatchGetItem limited to %v, want %v", where, g.leading, teamReads)
						}
					case a == "dynamodb:Query":
						if !f.fn.Team || !slices.Equal(g.resources, indexes) {
							t.Errorf("%s: Query on %v; only the team's pages query, and only %v", where, g.resources, indexes)
						}
					}
				}
				if !slices.Contains(g.actions, "dynamodb:Query") && !slices.Equal(g.resources, []string{"table"}) {
					t.Errorf("%s: resources %v, want the table", where, g.resources)
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestTemplateStream checks the table's stream reaches a function that
// reconciles, with per-record failure reporting and a place for records
// that keep failing.
func TestTemplateStream(t *testing.T) {
	tp := loadTemplate(t)
	fns := map[string]function{}
	for _, f := range functions(t, tp) {
		fns[f.id] = f
	}
	found := 0
	for id, m := range tp.resources("AWS::Lambda::EventSourceMapping") {
		p := get(m, "Properties")
		ga := list(get(p, "EventSourceArn", "Fn::GetAtt"))
		if len(ga) != 2 || str(ga[1]) != "StreamArn" {
			continue
		}
		found++
		f, ok := fns[refTarget(get(p, "FunctionName"))]
		if !ok || !f.fn.Scheduler {
			t.Errorf("%s: the stream feeds %v, not a function that reconciles schedules", id, get(p, "FunctionName"))
		}
		if !slices.Contains(list(get(p, "FunctionResponseTypes")), any("ReportBatchItemFailures")) {
			t.Errorf("%s: FunctionResponseTypes lacks ReportBatchItemFailures", id)
		}
		filters := list(get(p, "FilterCriteria", "Filters"))
		want := `{"dynamodb": {"Keys": {"` + dynamo.SortKey + `": {"S": ["` + dynamo.IncidentSortKey + `"]}}}}`
		if len(filters) != 1 || str(get(filters[0], "Pattern")) != want {
			t.Errorf("%s: FilterCriteria %v, want the one pattern %s (every incident write is counted for the reports; no other item may reach the planner, least of all the counters it writes)", id, get(p, "FilterCriteria"), want)
		}
		if n, ok := get(p, "BatchSize").(int); !ok || n*2*domain.MaxEncodedSize > 6<<20 {
			t.Errorf("%s: BatchSize %v: two images of up to %d bytes each must fit Lambda's 6 MB payload", id, get(p, "BatchSize"), domain.MaxEncodedSize)
		}
		if get(p, "BisectBatchOnFunctionError") != true {
			t.Errorf("%s: BisectBatchOnFunctionError is not true", id)
		}
		if n, ok := get(p, "MaximumRetryAttempts").(int); !ok || n < 1 {
			t.Errorf("%s: MaximumRetryAttempts %v, want a limit", id, get(p, "MaximumRetryAttempts"))
		}
		dest := refTarget(get(p, "DestinationConfig", "OnFailure", "Destination"))
		if q := get(map[string]any(tp), "Resources", dest, "Type"); q != "AWS::SQS::Queue" {
			t.Errorf("%s: on-failure destination %q is not a queue of the template", id, dest)
		}
		for _, a := range []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams", "sqs:SendMessage"} {
			if !f.acts[a] {
				t.Errorf("%s: %s's role lacks %s", id, f.id, a)
			}
		}
	}
	if found != 1 {
		t.Errorf("%d mappings read the table's stream, want 1", found)
	}
	for _, f := range fns {
		if f.acts["dynamodb:GetRecords"] && found == 0 {
			t.Errorf("%s may read a stream no mapping feeds it", f.id)
		}
	}
}

// secretLike matches names that suggest a secret value.
var secretLike = regexp.MustCompile(`(?i)secret|passw|token|api_?key|private_?key|credential|signing_?key`)

// TestTemplateNoSecrets: secrets come from Parameter Store, so no template
// parameter or environment variable may carry one; a parameter is allowed
// to name where they are (SecretsPath).
func TestTemplateNoSecrets(t *testing.T) {
	tp := loadTemplate(t)
	harmless := regexp.MustCompile(`(?i)(path|arn|name)$`)
	params, _ := get(map[string]any(tp), "Parameters").(map[string]any)
	for name, p := range params {
		if secretLike.MatchString(name) && !harmless.MatchString(name) {
			t.Errorf("parameter %s looks like a secret; secrets belong in Parameter Store under SecretsPath", name)
		}
		if get(p, "NoEcho") != nil {
			t.Errorf("parameter %s is NoEcho, so it carries a secret through CloudFormation", name)
		}
	}
	for _, f := range functions(t, tp) {
		for k := range f.env {
			if secretLike.MatchString(k) && !harmless.MatchString(k) {
				t.Errorf("%s: environment variable %s looks like a secret; Lambda shows environment variables in the console", f.id, k)
			}
		}
	}
}

// TestTemplateInbound checks the path of a customer's email reply: the SES
// receipt rule stores mail to ReplyAddress in the inbound bucket under a
// prefix, the bucket lets SES (of this account, this rule) write exactly
// there, its notification for that prefix invokes the function composed to
// read inbound mail, whose role may read that prefix and nothing else, and
// a reply that keeps failing lands in a watched queue.
func TestTemplateInbound(t *testing.T) {
	tp := loadTemplate(t)
	fns := map[string]function{}
	for _, f := range functions(t, tp) {
		fns[f.id] = f
	}
	var inbound []function
	for _, f := range fns {
		if f.fn.Inbound {
			inbound = append(inbound, f)
		}
	}
	if len(inbound) != 1 {
		t.Fatalf("%d functions read inbound mail, want 1", len(inbound))
	}
	fn := inbound[0]
	cond := str(get(fn.res, "Condition"))

	// The receipt rule: recipient, scanning, S3 action.
	rules := tp.resources("AWS::SES::ReceiptRule")
	if len(rules) != 1 {
		t.Fatalf("%d receipt rules, want 1", len(rules))
	}
	var rule map[string]any
	for _, r := range rules {
		rule = r
	}
	rr := get(rule, "Properties", "Rule")
	if get(rr, "Enabled") != true || get(rr, "ScanEnabled") != true {
		t.Errorf("receipt rule enabled %v, scan %v: both must be on (the handler reads the virus verdict)", get(rr, "Enabled"), get(rr, "ScanEnabled"))
	}
	if rc := list(get(rr, "Recipients")); len(rc) != 1 || refTarget(rc[0]) != "ReplyAddress" {
		t.Errorf("receipt rule recipients %v, want [!Ref ReplyAddress] (which also matches its +tagged forms)", rc)
	}
	if sets := tp.resources("AWS::SES::ReceiptRuleSet"); len(sets) != 1 || sets[refTarget(get(rule, "Properties", "RuleSetName"))] == nil {
		t.Errorf("the receipt rule is not in the template's rule set")
	}
	acts := list(get(rr, "Actions"))
	if len(acts) != 1 || get(acts[0], "S3Action") == nil {
		t.Fatalf("receipt rule actions %v, want one S3 action", acts)
	}
	bucketID := refTarget(get(acts[0], "S3Action", "BucketName"))
	prefix := str(get(acts[0], "S3Action", "ObjectKeyPrefix"))
	bucket, ok := tp.resources("AWS::S3::Bucket")[bucketID]
	if !ok || prefix == "" || !strings.HasSuffix(prefix, "/") {
		t.Fatalf("S3 action stores into %q under %q, want a bucket of the template and a prefix ending in /", bucketID, prefix)
	}
	if !slices.Contains(list(get(rule, "DependsOn")), any("InboundBucketPolicy")) && str(get(rule, "DependsOn")) == "" {
		t.Error("the receipt rule must depend on the bucket policy: SES checks it may write when the rule is created")
	}

	// The bucket: private, encrypted, emptied by age under the prefix.
	bp := get(bucket, "Properties")
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if get(bp, "PublicAccessBlockConfiguration", k) != true {
			t.Errorf("bucket %s: PublicAccessBlockConfiguration.%s is not true", bucketID, k)
		}
	}
	if sse := list(get(bp, "BucketEncryption", "ServerSideEncryptionConfiguration")); len(sse) == 0 || get(sse[0], "ServerSideEncryptionByDefault", "SSEAlgorithm") == nil {
		t.Errorf("bucket %s is not encrypted by default", bucketID)
	}
	expires := false
	for _, r := range list(get(bp, "LifecycleConfiguration", "Rules")) {
		if str(get(r, "Status")) == "Enabled" && str(get(r, "Prefix")) == prefix && get(r, "ExpirationInDays") != nil {
			expires = true
		}
	}
	if !expires {
		t.Errorf("bucket %s has no enabled lifecycle rule expiring %s", bucketID, prefix)
	}
	if str(get(bucket, "DeletionPolicy")) != "Retain" {
		t.Errorf("bucket %s: DeletionPolicy %q, want Retain (customers' mail; a non-empty bucket also fails a stack deletion)", bucketID, get(bucket, "DeletionPolicy"))
	}

	// The bucket policy: SES of this account may put objects under the prefix.
	var sesPut any
	for _, pol := range tp.resources("AWS::S3::BucketPolicy") {
		if refTarget(get(pol, "Properties", "Bucket")) != bucketID {
			continue
		}
		for _, st := range list(get(pol, "Properties", "PolicyDocument", "Statement")) {
			if str(get(st, "Principal", "Service")) == "ses.amazonaws.com" && str(get(st, "Effect")) == "Allow" {
				sesPut = st
			}
		}
	}
	if sesPut == nil {
		t.Fatalf("no bucket policy lets ses.amazonaws.com write to %s", bucketID)
	}
	if a := list(get(sesPut, "Action")); len(a) != 1 || str(a[0]) != "s3:PutObject" {
		t.Errorf("SES may %v, want s3:PutObject only", a)
	}
	if r := str(get(sesPut, "Resource", "Fn::Sub")); r != "${"+bucketID+".Arn}/"+prefix+"*" {
		t.Errorf("SES may write %q, want ${%s.Arn}/%s*", r, bucketID, prefix)
	}
	if refTarget(get(sesPut, "Condition", "StringEquals", "aws:SourceAccount")) != "AWS::AccountId" {
		t.Error("the SES statement lacks the aws:SourceAccount condition (the confused deputy)")
	}
	var setName string
	for _, set := range tp.resources("AWS::SES::ReceiptRuleSet") {
		setName = str(get(set, "Properties", "RuleSetName", "Fn::Sub"))
	}
	wantArn := "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:receipt-rule-set/" + setName +
		":receipt-rule/" + str(get(rr, "Name", "Fn::Sub"))
	if got := str(get(sesPut, "Condition", "StringEquals", "aws:SourceArn", "Fn::Sub")); got != wantArn {
		t.Errorf("the SES statement's aws:SourceArn is %q, want this stack's rule %q", got, wantArn)
	}

	// The notification: the function, on new objects under the prefix.
	var s3Events []any
	for _, e := range mapValues(get(fn.res, "Properties", "Events")) {
		if str(get(e, "Type")) == "S3" {
			s3Events = append(s3Events, e)
		}
	}
	if len(s3Events) != 1 {
		t.Fatalf("%s has %d S3 events, want 1", fn.id, len(s3Events))
	}
	ev := get(s3Events[0], "Properties")
	if refTarget(get(ev, "Bucket")) != bucketID {
		t.Errorf("%s is notified by %v, want %s", fn.id, get(ev, "Bucket"), bucketID)
	}
	if e := list(get(ev, "Events")); len(e) != 1 || !strings.HasPrefix(str(e[0]), "s3:ObjectCreated:") {
		t.Errorf("%s is notified of %v, want s3:ObjectCreated:*", fn.id, e)
	}
	filter := map[string]string{}
	for _, r := range list(get(ev, "Filter", "S3Key", "Rules")) {
		filter[str(get(r, "Name"))] = str(get(r, "Value"))
	}
	if filter["prefix"] != prefix {
		t.Errorf("%s's notification filter %v, want prefix %s (SES's setup object and anything else stay out)", fn.id, filter, prefix)
	}

	// The role reads the prefix of that very bucket, spelled as the bucket's
	// name is (a Ref to the bucket would be circular through its notification).
	name := list(get(bucket, "Properties", "BucketName", "Fn::Sub"))
	var reads []any
	for _, p := range list(get(fn.res, "Properties", "Policies")) {
		for _, st := range list(get(p, "Statement")) {
			if slices.Contains(list(get(st, "Action")), any("s3:GetObject")) {
				reads = append(reads, list(get(st, "Resource"))...)
			}
		}
	}
	if len(name) != 2 || len(reads) != 1 {
		t.Fatalf("bucket name %v, %s reads %v: want a !Sub [name, vars] and one resource", name, fn.id, reads)
	}
	res := list(get(reads[0], "Fn::Sub"))
	if len(res) != 2 || str(res[0]) != "arn:${AWS::Partition}:s3:::"+str(name[0])+"/"+prefix+"*" || fmt.Sprint(res[1]) != fmt.Sprint(name[1]) {
		t.Errorf("%s reads %v, want arn:${AWS::Partition}:s3:::%s/%s* with the bucket name's variables %v", fn.id, res, str(name[0]), prefix, name[1])
	}

	// Failures: retried, then parked in a queue the dead-letter alarm watches;
	// errors alarm.
	dest := refTarget(get(fn.res, "Properties", "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination"))
	if get(map[string]any(tp), "Resources", dest, "Type") != "AWS::SQS::Queue" {
		t.Errorf("%s's on-failure destination %q is not a queue of the template", fn.id, dest)
	}
	if n, ok := get(fn.res, "Properties", "EventInvokeConfig", "MaximumRetryAttempts").(int); !ok || n < 1 {
		t.Errorf("%s: MaximumRetryAttempts %v, want retries", fn.id, n)
	}
	if !watchedQueues(tp)[dest] {
		t.Errorf("no alarm watches %s", dest)
	}

	// Everything of the inbound path exists only with ReplyAddress, together.
	if cond == "" {
		t.Fatalf("%s has no Condition; inbound mail is optional (ReplyAddress)", fn.id)
	}
	for _, id := range []string{bucketID, dest, "InboundBucketPolicy", "InboundRuleSet", "InboundRule"} {
		if c := str(get(map[string]any(tp), "Resources", id, "Condition")); c != cond {
			t.Errorf("%s has Condition %q, want %q like %s", id, c, cond, fn.id)
		}
	}
}

func mapValues(v any) []any {
	m, _ := v.(map[string]any)
	var out []any
	for _, e := range m {
		out = append(out, e)
	}
	return out
}

// watchedQueues are the queues some alarm's metrics name.
func watchedQueues(tp tmpl) map[string]bool {
	out := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if str(x["Name"]) == "QueueName" {
				out[refTarget(x["Value"])] = true
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, a := range tp.resources("AWS::CloudWatch::Alarm") {
		walk(a)
	}
	return out
}

// TestTemplateAlarms: every function has an errors alarm, present exactly
// when the function is, and every function's on-failure queue is watched.
func TestTemplateAlarms(t *testing.T) {
	tp := loadTemplate(t)
	alarmed := map[string]string{} // function id -> the alarm's condition
	for _, a := range tp.resources("AWS::CloudWatch::Alarm") {
		if str(get(a, "Properties", "MetricName")) != "Errors" {
			continue
		}
		for _, d := range list(get(a, "Properties", "Dimensions")) {
			if str(get(d, "Name")) == "FunctionName" {
				alarmed[refTarget(get(d, "Value"))] = str(get(a, "Condition"))
			}
		}
	}
	watched := watchedQueues(tp)
	for _, f := range functions(t, tp) {
		c, ok := alarmed[f.id]
		if !ok {
			t.Errorf("%s has no errors alarm", f.id)
		} else if want := str(get(f.res, "Condition")); c != want {
			t.Errorf("%s's errors alarm has Condition %q, want %q", f.id, c, want)
		}
		if q := refTarget(get(f.res, "Properties", "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")); q != "" && !watched[q] {
			t.Errorf("%s's failure queue %s is not watched by an alarm", f.id, q)
		}
	}
}

// TestTemplateConditions: a resource or output that refers to a
// conditional resource has the same condition, or refers to it only in the
// matching branch of an !If; otherwise CloudFormation refuses the stack
// whenever the condition is false.
func TestTemplateConditions(t *testing.T) {
	tp := loadTemplate(t)
	resources := get(map[string]any(tp), "Resources").(map[string]any)
	condOf := map[string]string{}
	for id, r := range resources {
		if c := str(get(r, "Condition")); c != "" {
			condOf[id] = c
		}
	}
	subRef := regexp.MustCompile(`\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}`)
	var walk func(where, own string, active []string, v any)
	check := func(where, own string, active []string, target string) {
		c, ok := condOf[target]
		if !ok || c == own || slices.Contains(active, c) {
			return
		}
		t.Errorf("%s refers to %s, which exists only if %s", where, target, c)
	}
	walk = func(where, own string, active []string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if args := list(x["Fn::If"]); len(args) == 3 {
				c := str(args[0])
				walk(where, own, append(slices.Clone(active), c), args[1])
				walk(where, own, active, args[2])
				return
			}
			if r := str(x["Ref"]); r != "" {
				check(where, own, active, r)
			}
			if ga := list(x["Fn::GetAtt"]); len(ga) > 0 {
				check(where, own, active, str(ga[0]))
			}
			if sub, ok := x["Fn::Sub"]; ok {
				tmplStr := str(sub)
				if l := list(sub); len(l) == 2 {
					tmplStr = str(l[0])
				}
				for _, m := range subRef.FindAllStringSubmatch(tmplStr, -1) {
					check(where, own, active, m[1])
				}
			}
			for k, e := range x {
				if k != "Condition" {
					walk(where, own, active, e)
				}
			}
		case []any:
			for _, e := range x {
				walk(where, own, active, e)
			}
		}
	}
	for id, r := range resources {
		walk("resource "+id, str(get(r, "Condition")), nil, r)
	}
	outputs, _ := get(map[string]any(tp), "Outputs").(map[string]any)
	for id, o := range outputs {
		walk("output "+id, str(get(o, "Condition")), nil, o)
	}
	walk("Globals", "", nil, get(map[string]any(tp), "Globals"))
}

// TestTemplateWebhookOutputs: each webhook provider the code can mount has
// an output with its URL.
func TestTemplateWebhookOutputs(t *testing.T) {
	outputs, _ := get(map[string]any(loadTemplate(t)), "Outputs").(map[string]any)
	var names []string
	for _, p := range compose.Providers {
		names = append(names, p.Name)
	}
	for _, name := range names {
		found := false
		for _, o := range outputs {
			if sub := list(get(o, "Value", "Fn::Sub")); len(sub) == 2 && str(sub[0]) == "${Base}/webhooks/"+name {
				found = true
			}
		}
		if !found {
			t.Errorf("no output gives the URL of /webhooks/%s", name)
		}
	}
	for id, want := range map[string]string{"CalcomWebhookUrl": "calcom", "CalendlyWebhookUrl": "calendly", "ZendeskWebhookUrl": "zendesk", "FreshdeskWebhookUrl": "freshdesk"} {
		if sub := list(get(outputs[id], "Value", "Fn::Sub")); len(sub) != 2 || str(sub[0]) != "${Base}/webhooks/"+want {
			t.Errorf("output %s = %v, want ${Base}/webhooks/%s", id, get(outputs[id], "Value"), want)
		}
	}
}

// A claimed step stays "sending" for the claim's lease; a dispatcher that
// outlives it could see its claim taken over and the step sent twice. So
// every function that can send (it has ses:SendEmail) must time out well
// before the lease ends.
func TestTemplateTimeoutsWithinTheClaimLease(t *testing.T) {
	tp := loadTemplate(t)
	global := get(map[string]any(tp), "Globals", "Function", "Timeout")
	for _, f := range functions(t, tp) {
		if !f.acts["ses:SendEmail"] {
			continue
		}
		timeout := get(f.res, "Properties", "Timeout")
		if timeout == nil {
			timeout = global
		}
		secs, err := strconv.Atoi(fmt.Sprint(timeout))
		if err != nil {
			t.Fatalf("%s: Timeout %v", f.id, timeout)
		}
		if limit := domain.DefaultClaimLease / 2; time.Duration(secs)*time.Second > limit {
			t.Errorf("%s: Timeout %ds; a function that sends must end within half the claim lease (%s)", f.id, secs, limit)
		}
	}
}

// TestTemplateFeedback follows a bounce from SES to the feedback function:
// the configuration set publishes bounces, complaints and delays to the
// default bus; the rule takes those of this configuration set to the
// function; the function's role reads and writes the table by key and
// nothing else (no scheduler, no SES), and its failures land in a queue.
func TestTemplateFeedback(t *testing.T) {
	tp := loadTemplate(t)
	res := tp.resources("AWS::SES::ConfigurationSetEventDestination")
	dest := get(res["ConfigurationSetEvents"], "Properties", "EventDestination")
	types := list(get(dest, "MatchingEventTypes"))
	for _, want := range []string{"bounce", "complaint", "deliveryDelay"} {
		if !slices.Contains(types, any(want)) {
			t.Errorf("the configuration set does not publish %s events: %v", want, types)
		}
	}
	if bus := fmt.Sprint(get(dest, "EventBridgeDestination", "EventBusArn")); !strings.Contains(bus, "event-bus/default") {
		t.Errorf("events go to %s, want the default bus", bus)
	}

	fn := tp.resources("AWS::Serverless::Function")["FeedbackFunction"]
	if fn == nil {
		t.Fatal("no FeedbackFunction")
	}
	var rules int
	for _, ev := range get(fn, "Properties", "Events").(map[string]any) {
		if str(get(ev, "Type")) != "EventBridgeRule" {
			t.Errorf("FeedbackFunction has a %s event", str(get(ev, "Type")))
			continue
		}
		rules++
		p := get(ev, "Properties", "Pattern")
		if src := list(get(p, "source")); len(src) != 1 || src[0] != "aws.ses" {
			t.Errorf("rule source %v, want aws.ses", src)
		}
		got := list(get(p, "detail", "eventType"))
		for _, want := range []string{app.MailBounce, app.MailComplaint, app.MailDelay} {
			if !slices.Contains(got, any(want)) {
				t.Errorf("the rule does not take %s events: %v", want, got)
			}
		}
		if cs := list(get(p, "detail", "mail", "tags", "ses:configuration-set")); len(cs) != 1 || refTarget(cs[0]) != "ConfigurationSet" {
			t.Errorf("the rule is not limited to this stack's configuration set: %v", cs)
		}
	}
	if rules != 1 {
		t.Errorf("%d EventBridge rules, want 1", rules)
	}
	for _, st := range statements(fn) {
		for _, a := range list(get(st, "Action")) {
			switch a := str(a); {
			case a == "dynamodb:GetItem", a == "dynamodb:PutItem", a == "ssm:GetParameters":
			default:
				t.Errorf("FeedbackFunction may %s; it needs the table by key and its parameters only", a)
			}
		}
	}
	if q := refTarget(get(fn, "Properties", "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")); q != "FeedbackFailureQueue" {
		t.Errorf("failed events go to %q, want FeedbackFailureQueue", q)
	}
}
