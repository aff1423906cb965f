package profiles

import (
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/internal/field"
)

// Retry is how the simulated clients retry, as written: the retry:
// section of a profile's phase or request, or the attack's retry flags.
// Values are strings as the flags take them; "" means "not given".
type Retry struct {
	Policy          string `yaml:"policy"`            // --retry: none (default), immediate, exponential, decorrelated
	Max             string `yaml:"max"`               // --retry-max: retries per logical request
	Base            string `yaml:"base"`              // --retry-base: the first backoff wait
	Cap             string `yaml:"cap"`               // --retry-cap: the longest wait
	Jitter          string `yaml:"jitter"`            // --jitter: none, full, equal (exponential)
	HonorRetryAfter string `yaml:"honor-retry-after"` // --honor-retry-after: true or false
	Budget          string `yaml:"budget"`            // --retry-budget: e.g. 10%, or none
	On              string `yaml:"on"`                // --retry-on: retryable, transport, statuses, families
}

// RetryFlags names the flag of each key of a retry section: the field
// errors of Retry.Options are named by key, as a profile writes them.
var RetryFlags = map[string]string{
	"policy": "retry", "max": "retry-max", "base": "retry-base", "cap": "retry-cap",
	"jitter": "jitter", "honor-retry-after": "honor-retry-after", "budget": "retry-budget", "on": "retry-on",
}

// retryKeys is RetryFlags the other way round.
var retryKeys = func() map[string]string {
	m := make(map[string]string, len(RetryFlags))
	for k, f := range RetryFlags {
		m[f] = k
	}
	return m
}()

// Options reads the section into retry options and what to retry,
// reporting every problem as a *field.Error named by its key. Parameters
// given without a policy that uses them are problems: a client that
// never retries has no cap.
func (r Retry) Options() (retry.Options, retry.On, []error) {
	var errs []error
	bad := func(key, value, format string, args ...any) {
		errs = append(errs, field.Errorf(key, value, format, args...))
	}
	policy := retry.None
	if r.Policy != "" {
		p, err := retry.ParsePolicy(r.Policy)
		if err != nil {
			bad("policy", r.Policy, "want one of %s", strings.Join(retry.Policies(), ", "))
		}
		policy = p
	}
	o := retry.Defaults(policy)
	if policy == retry.None {
		for _, k := range []string{"max", "base", "cap", "jitter", "honor-retry-after", "budget", "on"} {
			if v := r.value(k); v != "" {
				bad(k, v, "applies to a retrying client: give a policy (immediate, exponential or decorrelated) too")
			}
		}
		return o, retry.On{}, errs
	}
	if r.Max != "" {
		n, err := strconv.Atoi(strings.TrimSpace(r.Max))
		if err != nil {
			bad("max", r.Max, "want a whole number of retries, e.g. 3")
		}
		o.Max = n
	}
	o.Base = r.duration("base", r.Base, o.Base, &errs)
	o.Cap = r.duration("cap", r.Cap, o.Cap, &errs)
	if r.Jitter != "" {
		j, err := retry.ParseJitter(r.Jitter)
		switch {
		case err != nil:
			bad("jitter", r.Jitter, "want one of %s", strings.Join(retry.Jitters(), ", "))
		case policy != retry.Exponential:
			bad("jitter", r.Jitter, "applies to the exponential policy (decorrelated jitters by itself, immediate never waits)")
		}
		o.Jitter = j
	}
	if r.HonorRetryAfter != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(r.HonorRetryAfter))
		if err != nil {
			bad("honor-retry-after", r.HonorRetryAfter, "want true or false")
		}
		o.HonorRetryAfter = b
	}
	if r.Budget != "" {
		b, err := retry.ParseBudget(r.Budget)
		if err != nil {
			bad("budget", r.Budget, "want a percentage of the first attempts, e.g. 10%%, or none")
		}
		o.Budget = b
	}
	on, err := retry.ParseOn(r.On)
	if err != nil {
		bad("on", r.On, "want retryable, transport, statuses (429) or families (5xx), comma-separated")
	}
	for _, err := range o.Validate() {
		if fe := field.As(err); fe != nil {
			fe.Field = retryKeys[fe.Field]
		}
		errs = append(errs, err)
	}
	return o, on, errs
}

// value returns the value of a key.
func (r Retry) value(key string) string {
	switch key {
	case "policy":
		return r.Policy
	case "max":
		return r.Max
	case "base":
		return r.Base
	case "cap":
		return r.Cap
	case "jitter":
		return r.Jitter
	case "honor-retry-after":
		return r.HonorRetryAfter
	case "budget":
		return r.Budget
	case "on":
		return r.On
	}
	return ""
}

// duration reads a wait, def when not given.
func (r Retry) duration(key, s string, def time.Duration, errs *[]error) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		*errs = append(*errs, field.Errorf(key, s, "want a duration, e.g. 100ms or 5s"))
		return def
	}
	return d
}
