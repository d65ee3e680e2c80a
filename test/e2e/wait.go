package e2e

import (
	"testing"
	"time"
)

// poll is how often waits look: fast, so the suite is quick when things work.
const poll = 200 * time.Millisecond

// measurePoll is how often waits that time something look, for 50 ms precision.
const measurePoll = 50 * time.Millisecond

// eventually calls check until it returns "" (done) and returns when that happened. After
// timeout it fails the test with what check last said was missing.
func eventually(t testing.TB, timeout time.Duration, what string, check func() string) time.Time {
	t.Helper()
	return eventuallyEvery(t, poll, timeout, what, check)
}

// measure is eventually for waits whose end is a measurement: it looks every 50 ms.
func measure(t testing.TB, timeout time.Duration, what string, check func() string) time.Time {
	t.Helper()
	return eventuallyEvery(t, measurePoll, timeout, what, check)
}

func eventuallyEvery(t testing.TB, every, timeout time.Duration, what string, check func() string) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		missing := check()
		if missing == "" {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s: %s", what, timeout, missing)
		}
		time.Sleep(every)
	}
}

// consistently calls check for the whole of d and fails the test the first time it
// returns something ("" means fine).
func consistently(t testing.TB, d time.Duration, what string, check func() string) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if problem := check(); problem != "" {
			t.Fatalf("%s: %s", what, problem)
		}
		time.Sleep(poll)
	}
}
