package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// auditEvent is what the tests read of an audit.k8s.io/v1 Event.
type auditEvent struct {
	Stage     string `json:"stage"`
	Verb      string `json:"verb"`
	UserAgent string `json:"userAgent"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	RequestReceived time.Time `json:"requestReceivedTimestamp"`
	ResponseStatus  *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// Requests counts API requests of one client.
type Requests struct {
	Writes, Reads int
	// Conflicts are writes refused with 409 Conflict (a stale resourceVersion, or an
	// object that already exists): wasted round trips.
	Conflicts int
	// Detail counts requests by "verb resource[/subresource]", for messages.
	Detail map[string]int
	// WriteLog lists each write as "time verb resource name code", to say what a write
	// that should not have happened was.
	WriteLog []string
}

func (r Requests) String() string {
	keys := make([]string, 0, len(r.Detail))
	for k := range r.Detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, r.Detail[k]))
	}
	return fmt.Sprintf("%d writes (%d conflicts), %d reads (%s)", r.Writes, r.Conflicts, r.Reads, strings.Join(parts, ", "))
}

var writeVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}
var readVerbs = map[string]bool{"get": true, "list": true, "watch": true}

// countRequests counts the requests received in [from, to) whose user agent starts with
// agent. A request is counted once: when answered, or for a watch when it starts.
func countRequests(path, agent string, from, to time.Time) (Requests, error) {
	r := Requests{Detail: map[string]int{}}
	f, err := os.Open(path)
	if err != nil {
		return r, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		// Most lines are other clients': skip them before decoding.
		if !strings.Contains(string(line), `"userAgent":"`+agent) {
			continue
		}
		var e auditEvent
		if err := json.Unmarshal(line, &e); err != nil {
			continue // a line being written as we read
		}
		if !strings.HasPrefix(e.UserAgent, agent) || e.RequestReceived.Before(from) || !e.RequestReceived.Before(to) {
			continue
		}
		counted := (e.Verb == "watch" && e.Stage == "ResponseStarted") || (e.Verb != "watch" && e.Stage == "ResponseComplete")
		if !counted {
			continue
		}
		switch {
		case writeVerbs[e.Verb]:
			r.Writes++
			if e.ResponseStatus != nil && e.ResponseStatus.Code == 409 {
				r.Conflicts++
			}
		case readVerbs[e.Verb]:
			r.Reads++
		default:
			continue
		}
		key := e.Verb
		if e.ObjectRef != nil {
			key += " " + e.ObjectRef.Resource
			if e.ObjectRef.Subresource != "" {
				key += "/" + e.ObjectRef.Subresource
			}
		}
		if e.ResponseStatus != nil && e.ResponseStatus.Code == 409 {
			key += " (409 Conflict)"
		}
		r.Detail[key]++
		if writeVerbs[e.Verb] {
			name, code := "", 0
			if e.ObjectRef != nil {
				name = e.ObjectRef.Name
			}
			if e.ResponseStatus != nil {
				code = e.ResponseStatus.Code
			}
			r.WriteLog = append(r.WriteLog, fmt.Sprintf("%s %s %s %d", e.RequestReceived.Format(time.RFC3339Nano), key, name, code))
		}
	}
	return r, sc.Err()
}
