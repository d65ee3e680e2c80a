package model

import (
	"cmp"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a description, located as precisely as possible.
type Problem struct {
	// File is the name of the description file, as given to Load.
	File string
	// Line is 1-based; 0 when unknown.
	Line int
	// Field is the path of the offending field, for example spec.nodeTypes[1].name.
	Field string
	// Message says what is wrong.
	Message string
}

// Error formats the problem as "file:line: field: message", leaving out the parts that are unknown.
func (p Problem) Error() string {
	loc := p.File
	if p.Line > 0 {
		if loc != "" {
			loc += ":" + strconv.Itoa(p.Line)
		} else {
			loc = "line " + strconv.Itoa(p.Line)
		}
	}
	var parts []string
	if loc != "" {
		parts = append(parts, loc)
	}
	if p.Field != "" {
		parts = append(parts, p.Field)
	}
	parts = append(parts, p.Message)
	return strings.Join(parts, ": ")
}

// Problems are all the problems found in one description. A nil or empty Problems means none.
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the problems by line, then field, then message, so that output is deterministic.
// Numbers inside field paths compare by value, so nodeTypes[2] comes before nodeTypes[10].
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if c := comparePaths(a.Field, b.Field); c != 0 {
			return c < 0
		}
		return a.Message < b.Message
	})
}

// comparePaths compares field paths, taking runs of digits as numbers.
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da != "" && db != "" {
			na, _ := strconv.Atoi(da)
			nb, _ := strconv.Atoi(db)
			if na != nb {
				return cmp.Compare(na, nb)
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// add records a problem at a field path; Load fills in the file and line later.
func (ps *Problems) add(field, format string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}
