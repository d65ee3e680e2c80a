package wizard

import (
	"strings"

	"github.com/charmbracelet/huh"
)

// none clears an optional answer that has a pre-filled value: an empty answer keeps the
// pre-filled value, as accessible prompts do.
const none = "-"

// step collects the fields of one screen and what to do with the answers afterwards.
type step struct {
	fields     []huh.Field
	accessible []func()       // adjustments for plain prompts, applied before the form runs
	after      []func() error // tidying of answers, after the form
}

// text asks one line. An empty answer keeps the pre-filled value; optional answers may
// be cleared with "-". check gets the answer as it will be kept.
func (s *step) text(title string, value *string, optional bool, check func(string) error) {
	def := *value
	keep := func(answer string) string {
		answer = strings.TrimSpace(answer)
		switch {
		case answer == "":
			return def
		case optional && answer == none:
			return ""
		}
		return answer
	}
	in := huh.NewInput().Title(title).Value(value).Validate(func(answer string) error {
		if check == nil {
			return nil
		}
		return check(keep(answer))
	})
	if optional {
		in.Description("optional; - for none")
	}
	s.fields = append(s.fields, in)
	s.accessible = append(s.accessible, func() {
		// Plain prompts do not show the pre-filled value: put it into the question.
		t := title
		if optional {
			t += " (optional, - for none)"
		}
		if def != "" {
			t += " [" + def + "]"
		}
		in.Title(t + ":")
	})
	s.after = append(s.after, func() error {
		*value = keep(*value)
		return nil
	})
}

// choice asks for one of options; value holds the default.
func (s *step) choice(title string, value *string, options ...string) {
	if *value == "" {
		*value = options[0]
	}
	s.fields = append(s.fields, huh.NewSelect[string]().Title(title).Options(huh.NewOptions(options...)...).Value(value))
}

// choices asks for any of options; value holds the ones selected at first.
func (s *step) choices(title string, value *[]string, options ...string) {
	s.fields = append(s.fields, huh.NewMultiSelect[string]().Title(title).
		Description("space selects, enter confirms").Options(huh.NewOptions(options...)...).Value(value))
}

// confirm asks yes or no; value holds the default.
func (s *step) confirm(title string, value *bool) {
	s.fields = append(s.fields, huh.NewConfirm().Title(title).Value(value))
}

// longText asks a text of several lines. Plain prompts read one line, in which \n
// stands for a line break.
func (s *step) longText(title string, value *string, check func(string) error) {
	def := *value
	t := huh.NewText().Title(title).Value(value).Validate(check)
	s.fields = append(s.fields, t)
	accessible := false
	s.accessible = append(s.accessible, func() {
		accessible = true
		escaped := escapeLines(def)
		*value = escaped
		title := title + ` (one line; \n for a line break)`
		if def != "" {
			title += " [" + escaped + "]"
		}
		t.Title(title + ":").Validate(func(answer string) error {
			if strings.TrimSpace(answer) == "" {
				answer = escaped
			}
			return check(unescapeLines(strings.TrimSpace(answer)))
		})
	})
	s.after = append(s.after, func() error {
		if accessible {
			*value = unescapeLines(*value)
		}
		if *value != "" && !strings.HasSuffix(*value, "\n") {
			*value += "\n" // files end with a newline
		}
		return nil
	})
}

func escapeLines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(strings.TrimSuffix(s, "\n"), `\`, `\\`), "\n", `\n`)
}

func unescapeLines(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			case '\\':
				b.WriteByte('\\')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
