package locate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/verinit/verinit/pkg/rootdev"
)

// Wait watches the devices until Decide is done, or fails, or the
// waiter's deadline passes: then the error says what is still missing
// and what was seen. It returns the last view with the decision, for
// what is read later (a signature partition on the same disk).
func Wait(wt *rootdev.Waiter, in Input) (Decision, rootdev.View, error) {
	var d Decision
	view, err := wt.Watch(in.Needs(), func(v rootdev.View) (bool, error) {
		var done bool
		var err error
		d, done, err = Decide(in, v)
		return done, err
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return d, view, fmt.Errorf("%s after %s; %s", strings.Join(d.Missing, "; "), wt.Timeout(), rootdev.Explain(view))
	}
	return d, view, err
}
