// Command costbench measures what a session store costs a realistic SCS app
// in DynamoDB requests and capacity units, and how many logouts it lets a
// request in flight undo, with and without WithDeleteWins and
// WithTouchInterval, through both packages.
//
// The app (see app.go) runs in this process as two app servers, loopback
// httptest servers, each with an SCS session manager (IdleTimeout 20
// minutes, the default gob codec) on a store of its own, both on one table
// of the DynamoDB at $DYNAMODB_ENDPOINT (DynamoDB Local, started by
// scripts/ddblocal.sh). Each session holds five values. Visitors, each with
// a cookie jar, send their requests to the two servers in turn; each request
// is a log-in (RenewToken) or log-out (Destroy) with probability 0.04,
// otherwise a page view, one in ten of which changes the session. The
// visitors' scripts are drawn from -seed.
//
// Time is scaled: every modelled duration (the idle timeout, the lifetime,
// the touch interval, the think time between a visitor's requests) runs
// -scale times faster, so that 30 s between two page views take 0.5 s at
// the default scale of 60. Only WithTouchInterval depends on time, through
// the ratio of the touch interval to the gaps between requests, which the
// scaling keeps; the run prints the gaps it measured.
//
// Each store's client is wrapped to ask DynamoDB for the consumed capacity
// (ReturnConsumedCapacity TOTAL) of every GetItem, PutItem and DeleteItem,
// and to count them. A refused conditional write answers with an error that
// carries no consumed capacity; DynamoDB documents that it consumes write
// units for the size of the existing item, at least one, and the item is
// gone when a commit is refused, so each is counted as one write unit.
//
// After the traffic, it races logouts and log-ins against slow requests:
// for each, a session is made on one server, a slow request of it (read-only
// or changing) loads it on the other server and is held there, the session
// is logged out (or in) on the first server, the slow request is let go and
// commits, and the old token's item is looked for in the table.
//
// It prints Markdown tables: requests and capacity units per 1,000 requests
// of the app, the races, and the stores' Stats.
//
//	scripts/ddblocal.sh -- go -C cmd/costbench run .
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	m := model{
		idle:     20 * time.Minute,
		lifetime: 24 * time.Hour,
	}
	flag.DurationVar(&m.think, "think", 30*time.Second, "mean modelled time between two requests of a visitor")
	flag.DurationVar(&m.touch, "touch", 0, "WithTouchInterval's d in the configurations that set it (default: a tenth of the idle timeout)")
	flag.Float64Var(&m.scale, "scale", 60, "how many times faster than modelled time the run goes")
	flag.IntVar(&m.visitors, "visitors", 40, "visitors at once")
	flag.IntVar(&m.requests, "requests", 2000, "requests of the traffic per SDK and configuration, shared evenly among the visitors")
	flag.IntVar(&m.races, "races", 10, "races of each kind (logout or log-in, against a read-only or a changing request) per SDK and configuration")
	flag.Uint64Var(&m.seed, "seed", 1, "seed of the visitors' scripts")
	sdks := flag.String("sdk", "v1,v2", "comma-separated SDKs: v1 (package dynamostore, aws-sdk-go), v2 (package awsv2, aws-sdk-go-v2)")
	configs := flag.String("config", "default,deletewins,touch,both", "comma-separated configurations: default, deletewins (WithDeleteWins(true)), touch (WithTouchInterval), both")
	timeout := flag.Duration("timeout", 15*time.Minute, "bound on the whole run")
	flag.Parse()
	if m.touch == 0 {
		m.touch = m.idle / 10
	}
	if m.scale <= 0 || m.visitors < 1 || m.requests < m.visitors || m.races < 0 || m.think <= 0 || m.touch < 0 {
		fail(errors.New("-scale and -think must be positive, -visitors at least 1, -requests at least -visitors, -races and -touch not negative"))
	}
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		fail(errors.New("DYNAMODB_ENDPOINT is not set: run through scripts/ddblocal.sh"))
	}
	var sdkList []sdk
	for _, s := range strings.Split(*sdks, ",") {
		switch strings.TrimSpace(s) {
		case "v1":
			sdkList = append(sdkList, sdkV1)
		case "v2":
			sdkList = append(sdkList, sdkV2)
		default:
			fail(fmt.Errorf("-sdk: unknown SDK %q", s))
		}
	}
	var cfgList []config
	for _, name := range strings.Split(*configs, ",") {
		found := false
		for _, c := range allConfigs {
			if c.name == strings.TrimSpace(name) {
				cfgList, found = append(cfgList, c), true
			}
		}
		if !found {
			fail(fmt.Errorf("-config: unknown configuration %q", name))
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	fmt.Printf("%s; Go %s, GOMAXPROCS %d; DynamoDB at %s (%s)\n", start.UTC().Format("2006-01-02 15:04 MST"),
		runtime.Version(), runtime.GOMAXPROCS(0), endpoint, engineName())
	fmt.Printf("Model: 2 app servers, %d visitors, %d requests per run, seed %d; IdleTimeout %v, Lifetime %v, touch interval %v, mean think time %v; time scaled %g×\n\n",
		m.visitors, m.requests/m.visitors*m.visitors, m.seed, m.idle, m.lifetime, m.touch, m.think, m.scale)
	var results []result
	for _, s := range sdkList {
		for _, c := range cfgList {
			name := fmt.Sprintf("costbench_%s_%s_%d", s.name, c.name, time.Now().UnixNano())
			r, err := runOne(ctx, s, c, m, endpoint, name)
			if err != nil {
				fail(fmt.Errorf("%s %s: %w", s.name, c.name, err))
			}
			fmt.Fprintf(os.Stderr, "costbench: %s %-10s %d requests in %v, mean gap %v (modelled)\n",
				s.name, c.name, r.requests, r.elapsed.Round(time.Millisecond), r.meanGap.Round(time.Second))
			results = append(results, r)
		}
	}
	printResults(os.Stdout, results)
	fmt.Printf("\nRun time %v.\n", time.Since(start).Round(time.Second))
}

// engineName returns $DYNAMODB_ENGINE, or "engine not named".
func engineName() string {
	if e := os.Getenv("DYNAMODB_ENGINE"); e != "" {
		return e
	}
	return "engine not named"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "costbench:", err)
	os.Exit(1)
}
