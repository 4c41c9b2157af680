package testenv

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// A Detector finds out whether the engine has a feature. It returns ok true
// when it has; ok false and a reason, such as "UpdateTimeToLive:
// UnknownOperationException", when the engine answered that it has not; and
// an error when it could not tell (the engine did not answer), which fails
// the calling test instead of hiding the feature's tests behind a skip.
type Detector func() (ok bool, reason string, err error)

// features remembers what Detectors found, so that each feature is detected
// once per process however many tests ask.
type features struct {
	mu sync.Mutex
	m  map[string]*feature
}

// feature is one detection; its mutex makes concurrent askers wait for the
// first one's answer instead of detecting again.
type feature struct {
	mu       sync.Mutex
	detected bool
	ok       bool
	reason   string
}

// registry is this process's memory of detected features.
var registry features

// get returns the record of name, creating it on first use.
func (f *features) get(name string) *feature {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = make(map[string]*feature)
	}
	ft, ok := f.m[name]
	if !ok {
		ft = &feature{}
		f.m[name] = ft
	}
	return ft
}

// detect returns name's memoized answer, running detect the first time (and
// again after a detection that failed, which is never remembered). first
// reports whether this call ran detect and got an answer.
func (f *features) detect(name string, detect Detector) (ok bool, reason string, first bool, err error) {
	ft := f.get(name)
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if ft.detected {
		return ft.ok, ft.reason, false, nil
	}
	ok, reason, err = detect()
	if err != nil {
		return false, "", false, fmt.Errorf("detecting feature %s on %s: %w", name, Describe(), err)
	}
	if !ok && reason == "" {
		reason = "no reason given"
	}
	ft.detected, ft.ok, ft.reason = true, ok, reason
	return ok, reason, true, nil
}

// Feature reports whether the engine has the named feature, running detect
// the first time any test of this process asks and remembering the answer.
// When the feature is missing it logs the reason in t, and the first time
// also prints it on standard error, so that a run's output says which
// features its engine lacked. A detection error fails t.
func Feature(t testing.TB, name string, detect Detector) bool {
	t.Helper()
	ok, msg := lookup(t, name, detect)
	if !ok {
		t.Log(msg)
	}
	return ok
}

// RequireFeature skips t, saying which feature is missing and why, unless
// the engine has the named feature (see Feature).
func RequireFeature(t testing.TB, name string, detect Detector) {
	t.Helper()
	if ok, msg := lookup(t, name, detect); !ok {
		t.Skip(msg)
	}
}

// lookup returns whether the feature exists and, when it does not, a
// message naming it, the engine and the reason; see Feature.
func lookup(t testing.TB, name string, detect Detector) (bool, string) {
	t.Helper()
	ok, reason, first, err := registry.detect(name, detect)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		return true, ""
	}
	msg := fmt.Sprintf("feature %s is missing on %s: %s", name, Describe(), reason)
	if first {
		fmt.Fprintln(os.Stderr, "testenv:", msg)
	}
	return false, msg
}
