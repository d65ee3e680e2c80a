package model

import (
	"errors"
	"fmt"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/module"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Validate checks a description (normally after Default) and returns every problem found,
// each with the field path of the offending value, sorted. Lines are left to Load.
func Validate(app *Application) Problems {
	if app == nil {
		return Problems{{Message: "no description"}}
	}
	var ps Problems
	validateHeader(&ps, app)
	validateOperator(&ps, &app.Spec.Operator)
	validateNodeTypes(&ps, &app.Spec)
	validateDependencies(&ps, &app.Spec)
	validateConfigFiles(&ps, &app.Spec)
	validateDeploymentOrder(&ps, &app.Spec)
	checkEnum(&ps, "spec.rollout.install", "rollout", app.Spec.Rollout.Install, Parallel, Ordered)
	checkEnum(&ps, "spec.rollout.upgrade", "rollout", app.Spec.Rollout.Upgrade, Parallel, Ordered)
	checkText(&ps, reflect.ValueOf(app).Elem(), "")
	checkOneLine(&ps, "spec.displayName", app.Spec.DisplayName, "it names the application in comments and docs")
	ps.Sort()
	return ps
}

func validateHeader(ps *Problems, app *Application) {
	for _, h := range []struct{ field, got, want string }{
		{"apiVersion", app.APIVersion, APIVersion},
		{"kind", app.Kind, Kind},
	} {
		switch h.got {
		case h.want:
		case "":
			ps.add(h.field, "is required: %s", h.want)
		default:
			ps.add(h.field, "%s %q is not a dsoi-gen description (want %q)", h.field, h.got, h.want)
		}
	}
	checkName(ps, "metadata.name", app.Metadata.Name, dnsLabel)
}

var (
	kindPattern    = regexp.MustCompile(`^[A-Z][a-zA-Z0-9]*$`)
	versionPattern = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]+)?$`)
)

func validateOperator(ps *Problems, op *Operator) {
	const p = "spec.operator"
	switch err := module.CheckPath(op.Repo); {
	case op.Repo == "":
		ps.add(p+".repo", "is required: the Go module path of the operator, such as github.com/acme/foo-operator")
	case err != nil:
		// CheckPath's error repeats the path; keep only its reason.
		reason := err.Error()
		var pe *module.InvalidPathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		}
		ps.add(p+".repo", "invalid Go module path %q: %s", op.Repo, reason)
	}

	switch {
	case op.Domain == "":
		ps.add(p+".domain", "is required: a DNS domain such as example.com")
	case len(validation.IsDNS1123Subdomain(op.Domain)) > 0 || !strings.Contains(op.Domain, "."):
		ps.add(p+".domain", "invalid domain %q: must be a lowercase DNS name with at least one dot, such as example.com", op.Domain)
	}
	if op.Group != "" {
		if len(validation.IsDNS1123Label(op.Group)) > 0 {
			ps.add(p+".group", "invalid group %q: must be empty or %s", op.Group, dnsLabelRule)
		} else if len(validation.IsDNS1123Subdomain(op.Group+"."+op.Domain)) > 0 && op.Domain != "" {
			ps.add(p+".group", "the API group %q is longer than 253 characters", op.Group+"."+op.Domain)
		}
	}

	switch {
	case op.Version == "":
		ps.add(p+".version", "is required: a Kubernetes API version such as v1, v1alpha1 or v1beta2")
	case !versionPattern.MatchString(op.Version):
		ps.add(p+".version", "invalid version %q: must look like v1, v1alpha1 or v1beta2", op.Version)
	}
	seen := map[string]bool{op.Version: true}
	for i, v := range op.PreviousVersions {
		field := fmt.Sprintf("%s.previousVersions[%d]", p, i)
		switch {
		case !versionPattern.MatchString(v):
			ps.add(field, "invalid version %q: must look like v1, v1alpha1 or v1beta2", v)
		case v == op.Version:
			ps.add(field, "%q is the current version; previousVersions lists earlier ones only", v)
		case seen[v]:
			ps.add(field, "duplicate version %q", v)
		}
		seen[v] = true
	}

	switch {
	case op.Kind == "":
		ps.add(p+".kind", "is required: the custom resource kind in UpperCamelCase, such as Pinot")
	case !kindPattern.MatchString(op.Kind) || len(op.Kind) > 63:
		ps.add(p+".kind", "invalid kind %q: must be UpperCamelCase (a capital letter, then letters and digits), at most 63 characters", op.Kind)
	case strings.HasSuffix(op.Kind, "List"):
		ps.add(p+".kind", "invalid kind %q: must not end in \"List\" (Kubernetes reserves <Kind>List for lists)", op.Kind)
	}

	checkEnum(ps, p+".license", "license", op.License, LicenseApache2, LicenseNone)
	// The owner goes into a /* */ license header of every Go file.
	if checkOneLine(ps, p+".owner", op.Owner, "it goes into the license header of every source file") && strings.Contains(op.Owner, "*/") {
		ps.add(p+".owner", "must not contain \"*/\": it goes into the /* */ license header of every source file, where nothing can escape it")
	}
}

func validateDeploymentOrder(ps *Problems, spec *Spec) {
	const p = "spec.deploymentOrder"
	if len(spec.DeploymentOrder) == 0 {
		ps.add(p, "is required: list every node type once, in the order to deploy them")
		return
	}
	known := map[string]bool{}
	var names []string
	for _, nt := range spec.NodeTypes {
		known[nt.Name] = true
		names = append(names, nt.Name)
	}
	listed := map[string]bool{}
	for i, name := range spec.DeploymentOrder {
		ip := fmt.Sprintf("%s[%d]", p, i)
		switch {
		case !known[name]:
			msg := fmt.Sprintf("unknown node type %q", name)
			if s := suggest(name, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			ps.add(ip, "%s", msg)
		case listed[name]:
			ps.add(ip, "node type %q is listed twice", name)
		}
		listed[name] = true
	}
	var missing []string
	for _, name := range names {
		if name != "" && !listed[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		ps.add(p, "missing node types: %s (list every node type once)", strings.Join(missing, ", "))
	}
}

// checkMountPath requires an absolute, clean path other than "/".
func checkMountPath(ps *Problems, p, mountPath string) bool {
	switch {
	case mountPath == "":
		ps.add(p, "is required: an absolute path such as /data")
	case !path.IsAbs(mountPath):
		ps.add(p, "mount path %q must be absolute (start with /)", mountPath)
	case path.Clean(mountPath) != mountPath:
		ps.add(p, "mount path %q is not clean: write %q", mountPath, path.Clean(mountPath))
	case mountPath == "/":
		ps.add(p, "mount path must not be /")
	case !checkOneLine(ps, p, mountPath, "a mount path is one line"):
	default:
		return true
	}
	return false
}

// checkText reports every string that is not UTF-8. Any other text is allowed: templates
// escape it for each file it lands in, and fields that must be one line check that themselves.
func checkText(ps *Problems, v reflect.Value, p string) {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			ps.add(p, "is not valid UTF-8: every generated file it lands in is UTF-8")
		}
	case reflect.Pointer:
		if !v.IsNil() {
			checkText(ps, v.Elem(), p)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkText(ps, v.Index(i), fmt.Sprintf("%s[%d]", p, i))
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			kp := joinPath(p, k.String())
			checkText(ps, k, kp)
			checkText(ps, v.MapIndex(k), kp)
		}
	case reflect.Struct:
		t := v.Type()
		if t == intOrStringType {
			checkText(ps, v.FieldByName("StrVal"), p)
			return
		}
		if reflect.PointerTo(t).Implements(unmarshalerType) {
			return // quantities hold no text
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case f.Anonymous && name == "":
				checkText(ps, v.Field(i), p) // inlined, as in JSON
			default:
				if name == "" {
					name = f.Name
				}
				checkText(ps, v.Field(i), joinPath(p, name))
			}
		}
	}
}

// checkOneLine refuses line breaks (including the Unicode ones YAML knows) and control
// characters other than tabs in text that lands where only one line fits.
func checkOneLine(ps *Problems, p, s, why string) bool {
	if i := strings.IndexFunc(s, notOneLine); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		ps.add(p, "must be one line without control characters (found %q): %s", r, why)
		return false
	}
	return true
}

func notInDescription(r rune) bool {
	return r != '\t' && unicode.IsControl(r) || r == '\ufeff' || r == '\ufffe' || r == '\uffff'
}

func notOneLine(r rune) bool {
	return r != '\t' && unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// checkDescription checks text that becomes a Go doc comment, and from there a CRD
// description: controller-gen reads a line starting with "+" as a marker, stops at a line
// starting with "---" and drops one starting with "TODO". Go source cannot hold NUL or a
// byte order mark, Go drops carriage returns from comments, and controller-gen's YAML
// cannot hold DEL or the C1 controls.
func checkDescription(ps *Problems, p, s string) {
	for i, line := range strings.Split(s, "\n") {
		switch {
		case strings.HasPrefix(strings.TrimSpace(line), "+"):
			ps.add(p, "line %d starts with \"+\": controller-gen would read it as a marker of the generated API; start it with another character", i+1)
			return
		case strings.HasPrefix(line, "---"):
			ps.add(p, "line %d starts with \"---\": controller-gen ends the CRD's description there, by the Kubernetes API conventions; indent the line or reword it", i+1)
			return
		case strings.HasPrefix(line, "TODO"):
			ps.add(p, "line %d starts with \"TODO\": controller-gen leaves it out of the CRD's description, by the Kubernetes API conventions; indent the line or reword it", i+1)
			return
		}
		if j := strings.IndexFunc(line, notInDescription); j >= 0 {
			r, _ := utf8.DecodeRuneInString(line[j:])
			ps.add(p, "line %d holds %q: a description may hold no control character but newlines and tabs", i+1, r)
			return
		}
	}
}
