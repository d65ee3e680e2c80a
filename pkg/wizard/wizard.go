// Package wizard asks the questions that make an application description, one step at a
// time, validating every answer with the rules of `dsoi-gen validate`. It only builds the
// description in memory: writing files is left to the caller, so an aborted session
// leaves nothing behind.
package wizard

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/charmbracelet/huh"
	"sigs.k8s.io/yaml"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

// ErrAborted is returned when the user stops the wizard (Ctrl-C).
var ErrAborted = huh.ErrUserAborted

// ErrInputEnded is returned when the input ends before the wizard finished (accessible mode).
var ErrInputEnded = errors.New("the input ended before the wizard finished")

// Options configure a wizard session.
type Options struct {
	// In and Out are the terminal, or plain lines in accessible mode. Nil means huh's defaults.
	In  io.Reader
	Out io.Writer
	// Accessible asks plain line prompts, for screen readers and scripts.
	Accessible bool
	// Start pre-fills the answers from an existing description.
	Start *model.Application
	// User is the account name in the default module path github.com/<user>/<name>-operator.
	User string
}

// Wizard is one session. Its prompts share one input, so that the caller can ask more
// questions (Confirm) after the description.
type Wizard struct {
	opts Options
	in   *lineReader
}

// New starts a session.
func New(opts Options) *Wizard {
	w := &Wizard{opts: opts}
	if opts.In != nil {
		w.in = &lineReader{r: bufio.NewReader(opts.In)}
	}
	return w
}

// Run asks for a whole description and returns it once it is valid.
func Run(ctx context.Context, opts Options) (*model.Application, error) {
	return New(opts).Application(ctx)
}

// Marshal writes a description as YAML, with the field names of the input contract.
func Marshal(app *model.Application) ([]byte, error) {
	return yaml.Marshal(app)
}

// Confirm asks a yes/no question.
func (w *Wizard) Confirm(ctx context.Context, title string, def bool) (bool, error) {
	var s step
	s.confirm(title, &def)
	err := w.ask(ctx, &s)
	return def, err
}

// ask runs one step as a form, then tidies its answers.
func (w *Wizard) ask(ctx context.Context, s *step) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.opts.Accessible {
		for _, f := range s.accessible {
			f()
		}
		// No styles: plain prompts for screen readers. Fields keep the first theme
		// they get, so this comes before the form's.
		for _, f := range s.fields {
			f.WithTheme(&huh.Theme{})
		}
	}
	form := huh.NewForm(huh.NewGroup(s.fields...)).WithAccessible(w.opts.Accessible).WithShowHelp(true)
	if w.in != nil {
		var in io.Reader = w.in
		if !w.opts.Accessible {
			in = w.opts.In // the terminal itself: bubbletea needs its file descriptor
		}
		form = form.WithInput(in)
	}
	if w.opts.Out != nil {
		form = form.WithOutput(w.opts.Out)
	}
	if err := form.RunWithContext(ctx); err != nil {
		return err
	}
	// Accessible prompts take the default at the end of input: that is not an answer.
	if w.in != nil && w.in.eof {
		return ErrInputEnded
	}
	for _, f := range s.after {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// lineReader hands out one line per Read: huh's accessible prompts each wrap the input
// in a new bufio.Scanner, which would otherwise swallow the lines of later prompts.
type lineReader struct {
	r   *bufio.Reader
	eof bool
}

func (l *lineReader) Read(p []byte) (int, error) {
	line, err := l.r.ReadString('\n')
	if line == "" && err != nil {
		l.eof = true
		return 0, err
	}
	if !strings.HasSuffix(line, "\n") {
		line += "\n" // a last line without newline is still a full answer
	}
	if len(line) > len(p) {
		// Too long for p: give the rest back (rare: the scanner reads 4 KiB and more).
		n := copy(p, line)
		l.r = bufio.NewReader(io.MultiReader(strings.NewReader(line[n:]), l.r))
		return n, nil
	}
	return copy(p, line), nil
}
