// Command netbench measures the store as production runs it: over TLS, with
// a network round trip, at the concurrency of a busy app, with each SDK's
// default HTTP client beside the recommended one (NewHTTPClient in v1,
// TuneHTTPClient in v2).
//
// It starts a TLS front (see front.go) on the loopback before the DynamoDB
// server at $DYNAMODB_ENDPOINT (DynamoDB Local, started by
// scripts/ddblocal.sh), with a self-signed certificate that it writes to a
// temporary PEM file and names in AWS_CA_BUNDLE, the way the clients are
// told to trust it. It writes -sessions live sessions to a fresh table, then,
// for each round-trip time, concurrency, SDK and client, makes a fresh client
// and store, warms it with two Finds per goroutine, and times -n Finds of
// those sessions (at least 10 per goroutine) through the store's FindCtx. It
// makes each measurement -rounds times, all of them in turn, and prints, as
// Markdown, the medians over the rounds of the throughput, the median and
// 99th percentile latency, and the new connections per 1,000 Finds, then the
// recommended client's figures as ratios to the default's measured just
// before or after it (medians of the rounds' ratios).
//
//	scripts/ddblocal.sh -- go -C cmd/netbench run . -rtt 1ms,5ms -conc 1,16,64,256
package main

//lint:file-ignore SA1019 aws-sdk-go v1 is one of the two SDKs measured.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	credsv2 "github.com/aws/aws-sdk-go-v2/credentials"
	ddbv2 "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/awsv2"
	"github.com/scs-stores/dynamostore/internal/testsuite/benchkit"
)

// finder is the store call measured, FindCtx, in either package.
type finder interface {
	FindCtx(ctx context.Context, token string) ([]byte, bool, error)
}

// client is one way of building a store: an SDK with one HTTP client.
type client struct {
	sdk, name string
	// build returns a store on table, through the front at url, with an HTTP
	// client sized for conc concurrent requests where it takes a size.
	build func(url, table string, conc int) (finder, error)
}

// result is one measurement.
type result struct {
	sdk, client  string
	round        int
	rtt          time.Duration
	conc, n      int
	errs         int
	elapsed      time.Duration
	p50, p99     time.Duration
	newConns     int64
	opsPerS      float64
	connsPer1000 float64
}

func main() {
	rtts := flag.String("rtt", "1ms,5ms", "comma-separated round-trip times to inject")
	concs := flag.String("conc", "1,16,64,256", "comma-separated numbers of concurrent Finds")
	n := flag.Int("n", 1000, "Finds timed per measurement (at least 10 per goroutine are made)")
	sessions := flag.Int("sessions", 1000, "sessions written to the table and found in turn")
	rounds := flag.Int("rounds", 3, "times each measurement is made, all of them in turn; medians are reported")
	sdks := flag.String("sdk", "v1,v2", "comma-separated SDKs to measure: v1 (aws-sdk-go), v2 (aws-sdk-go-v2)")
	flag.Parse()

	rttList, err := durations(*rtts)
	if err != nil {
		fail(fmt.Errorf("-rtt: %w", err))
	}
	concList, err := ints(*concs)
	if err != nil {
		fail(fmt.Errorf("-conc: %w", err))
	}
	if *n < 1 || *sessions < 1 || *rounds < 1 {
		fail(errors.New("-n, -sessions and -rounds must be at least 1"))
	}
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		fail(errors.New("DYNAMODB_ENDPOINT is not set: run through scripts/ddblocal.sh"))
	}
	var clients []client
	for _, s := range strings.Split(*sdks, ",") {
		switch strings.TrimSpace(s) {
		case "v1":
			clients = append(clients, v1Default, v1Recommended)
		case "v2":
			clients = append(clients, v2Default, v2Recommended)
		default:
			fail(fmt.Errorf("-sdk: unknown SDK %q", s))
		}
	}

	f, err := newFront(endpoint)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	dir, err := os.MkdirTemp("", "netbench")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	bundle := filepath.Join(dir, "front.pem")
	if err := os.WriteFile(bundle, f.CertPEM, 0o600); err != nil {
		fail(err)
	}
	// Both SDKs, and the v1 helper, read the bundle from here; the shared
	// config files are kept out, so that only this run's settings count.
	for k, v := range map[string]string{
		"AWS_CA_BUNDLE":               bundle,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_PROFILE":                 "",
	} {
		os.Setenv(k, v)
	}

	ctx := context.Background()
	table := fmt.Sprintf("netbench_%d", time.Now().UnixNano())
	tokens, cleanup, err := loadSessions(ctx, endpoint, table, *sessions)
	if err != nil {
		fail(err)
	}
	defer cleanup()

	fmt.Printf("TLS front %s before %s; Go %s, GOMAXPROCS %d; %d sessions of 100 bytes; at least %d Finds per measurement; %d rounds\n\n",
		f.URL, endpoint, runtime.Version(), runtime.GOMAXPROCS(0), *sessions, *n, *rounds)
	var results []result
	for round := 0; round < *rounds; round++ {
		for _, rtt := range rttList {
			for ci, conc := range concList {
				for si := 0; si < len(clients); si += 2 {
					pair := []client{clients[si], clients[si+1]}
					if (ci+round)%2 == 1 {
						// Default and recommended are measured first in turn.
						pair[0], pair[1] = pair[1], pair[0]
					}
					for _, c := range pair {
						r, err := measure(ctx, f, c, table, tokens, rtt, conc, max(*n, 10*conc))
						if err != nil {
							fail(fmt.Errorf("%s %s, RTT %v, concurrency %d: %w", c.sdk, c.name, rtt, conc, err))
						}
						r.round = round
						fmt.Fprintf(os.Stderr, "netbench: round %d %s %-11s rtt %-4v conc %-3d %6.0f ops/s p50 %6.2f ms p99 %7.2f ms %6.1f new conns/1,000 (%d failed)\n",
							round+1, r.sdk, r.client, r.rtt, r.conc, r.opsPerS, msf(r.p50), msf(r.p99), r.connsPer1000, r.errs)
						results = append(results, r)
					}
				}
			}
		}
	}
	printTables(results)
}

// measure makes a fresh store with c, warms it, and times n Finds from conc
// goroutines, with the front's round-trip time set to rtt.
func measure(ctx context.Context, f *front, c client, table string, tokens []string, rtt time.Duration, conc, n int) (result, error) {
	f.CloseConns()
	f.SetRTT(rtt)
	s, err := c.build(f.URL, table, conc)
	if err != nil {
		return result{}, err
	}
	var next atomic.Int64
	run := func(count int, lat [][]time.Duration) int {
		var errs atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < conc; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(count) {
						return
					}
					tok := tokens[int(i)%len(tokens)]
					t0 := time.Now()
					_, found, err := s.FindCtx(ctx, tok)
					d := time.Since(t0)
					if err != nil || !found {
						errs.Add(1)
						continue
					}
					if lat != nil {
						lat[w] = append(lat[w], d)
					}
				}
			}()
		}
		wg.Wait()
		return int(errs.Load())
	}
	if errs := run(2*conc, nil); errs > 0 {
		return result{}, fmt.Errorf("%d of %d warm-up Finds failed", errs, 2*conc)
	}
	next.Store(0)
	lat := make([][]time.Duration, conc)
	conns0 := f.Conns()
	t0 := time.Now()
	errs := run(n, lat)
	elapsed := time.Since(t0)
	newConns := f.Conns() - conns0
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return result{}, fmt.Errorf("all %d Finds failed", n)
	}
	slices.Sort(all)
	return result{
		sdk: c.sdk, client: c.name, rtt: rtt, conc: conc, n: n, errs: errs, elapsed: elapsed,
		p50:          all[(len(all)-1)*50/100],
		p99:          all[(len(all)-1)*99/100],
		newConns:     newConns,
		opsPerS:      float64(n) / elapsed.Seconds(),
		connsPer1000: float64(newConns) * 1000 / float64(n),
	}, nil
}

// v1Session returns an aws-sdk-go session for the front at url, made the
// way the README did: with the SDK's default HTTP client, into which the
// session loads AWS_CA_BUNDLE.
func v1Session(url string) (*session.Session, error) {
	sess, err := session.NewSession(&aws.Config{
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(url),
		Credentials: credentials.NewStaticCredentials("bench", "bench", ""),
	})
	if err != nil {
		return nil, fmt.Errorf("aws session: %w", err)
	}
	return sess, nil
}

var v1Default = client{sdk: "v1", name: "default", build: func(url, table string, _ int) (finder, error) {
	sess, err := v1Session(url)
	if err != nil {
		return nil, err
	}
	// The session's client is http.DefaultClient, whose transport the
	// session made for the bundle and reuses: start from an empty pool.
	sess.Config.HTTPClient.CloseIdleConnections()
	return dynamostore.NewStore(dynamodb.New(sess), dynamostore.WithTable(table))
}}

var v1Recommended = client{sdk: "v1", name: "recommended", build: func(url, table string, conc int) (finder, error) {
	sess, err := v1Session(url)
	if err != nil {
		return nil, err
	}
	hc, err := dynamostore.NewHTTPClient(conc)
	if err != nil {
		return nil, err
	}
	return dynamostore.NewStore(dynamodb.New(sess, &aws.Config{HTTPClient: hc}), dynamostore.WithTable(table))
}}

// v2Store returns an aws-sdk-go-v2 store for the front at url, with the
// default config and a DynamoDB client built with opts.
func v2Store(url, table string, opts ...func(*ddbv2.Options)) (finder, error) {
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithBaseEndpoint(url),
		config.WithCredentialsProvider(credsv2.NewStaticCredentialsProvider("bench", "bench", "")),
	)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return awsv2.New(ddbv2.NewFromConfig(cfg, opts...), awsv2.WithTable(table))
}

var v2Default = client{sdk: "v2", name: "default", build: func(url, table string, _ int) (finder, error) {
	return v2Store(url, table)
}}

var v2Recommended = client{sdk: "v2", name: "recommended", build: func(url, table string, conc int) (finder, error) {
	return v2Store(url, table, awsv2.TuneHTTPClient(conc))
}}

// loadSessions creates table on the server at endpoint, directly, and writes
// n live sessions of 100 bytes to it; it returns their tokens and a function
// that deletes the table.
func loadSessions(ctx context.Context, endpoint, table string, n int) ([]string, func(), error) {
	sess, err := session.NewSession(&aws.Config{
		HTTPClient:  &http.Client{}, // leaves http.DefaultClient to the v1 default client measured
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(endpoint),
		Credentials: credentials.NewStaticCredentials("bench", "bench", ""),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("aws session: %w", err)
	}
	hc, err := dynamostore.NewHTTPClient(16)
	if err != nil {
		return nil, nil, err
	}
	db := dynamodb.New(sess, &aws.Config{HTTPClient: hc})
	s, err := dynamostore.NewStore(db, dynamostore.WithTable(table))
	if err != nil {
		return nil, nil, err
	}
	if err := s.CreateTable(ctx); err != nil {
		return nil, nil, fmt.Errorf("create table %s: %w", table, err)
	}
	cleanup := func() {
		_, _ = db.DeleteTableWithContext(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	}
	tokens := make([]string, n)
	data := make([]byte, 100)
	expiry := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				tokens[i] = fmt.Sprintf("netbench-%06d", i)
				if err := s.CommitCtx(ctx, tokens[i], data, expiry); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		cleanup()
		return nil, nil, fmt.Errorf("write sessions: %w", firstErr)
	}
	return tokens, cleanup, nil
}

// printTables prints, as Markdown, the median of each measurement over the
// rounds, then the recommended client's figures as ratios to the default
// client's: for each round the ratio of the two measured in turn, and the
// median of those ratios.
func printTables(rs []result) {
	type cell struct {
		sdk, client string
		rtt         time.Duration
		conc        int
	}
	var cells []cell
	byCell := map[cell][]result{}
	for _, r := range rs {
		c := cell{r.sdk, r.client, r.rtt, r.conc}
		if _, ok := byCell[c]; !ok {
			cells = append(cells, c)
		}
		byCell[c] = append(byCell[c], r)
	}
	slices.SortStableFunc(cells, func(a, b cell) int {
		switch {
		case a.rtt != b.rtt:
			return int(a.rtt - b.rtt)
		case a.conc != b.conc:
			return a.conc - b.conc
		case a.sdk != b.sdk:
			return strings.Compare(a.sdk, b.sdk)
		}
		return strings.Compare(a.client, b.client) // "default" before "recommended"
	})
	fmt.Println("| SDK | Client | RTT | Concurrency | Finds × rounds | ops/s | p50 | p99 | New connections / 1,000 Finds |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, c := range cells {
		m := byCell[c]
		failed := 0
		for _, r := range m {
			failed += r.errs
		}
		note := ""
		if failed > 0 {
			note = fmt.Sprintf(" (%d failed)", failed)
		}
		fmt.Printf("| %s | %s | %v | %d | %d × %d%s | %.0f | %.2f ms | %.2f ms | %.1f |\n", c.sdk, c.client, c.rtt, c.conc, m[0].n, len(m), note,
			median(m, func(r result) float64 { return r.opsPerS }),
			median(m, func(r result) float64 { return msf(r.p50) }),
			median(m, func(r result) float64 { return msf(r.p99) }),
			median(m, func(r result) float64 { return r.connsPer1000 }))
	}
	fmt.Println()
	fmt.Println("| SDK | RTT | Concurrency | ops/s, recommended ÷ default | p50, recommended ÷ default | p99, recommended ÷ default | New connections / 1,000 Finds, default → recommended |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, c := range cells {
		if c.client != "default" {
			continue
		}
		defs, recs := byCell[c], byCell[cell{c.sdk, "recommended", c.rtt, c.conc}]
		if len(recs) != len(defs) {
			continue
		}
		ratio := func(f func(result) float64) float64 {
			rs := make([]float64, len(defs))
			for i := range defs {
				rs[i] = f(recs[i]) / f(defs[i])
			}
			return benchkit.Median(rs)
		}
		fmt.Printf("| %s | %v | %d | %.2f | %.2f | %.2f | %.1f → %.1f |\n", c.sdk, c.rtt, c.conc,
			ratio(func(r result) float64 { return r.opsPerS }),
			ratio(func(r result) float64 { return msf(r.p50) }),
			ratio(func(r result) float64 { return msf(r.p99) }),
			median(defs, func(r result) float64 { return r.connsPer1000 }),
			median(recs, func(r result) float64 { return r.connsPer1000 }))
	}
}

// median returns the median of f over rs.
func median(rs []result, f func(result) float64) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = f(r)
	}
	return benchkit.Median(xs)
}

// msf returns d in milliseconds.
func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func durations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q is not a duration of 0 or more", f)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("none given")
	}
	return out, nil
}

// ints parses a comma-separated list of positive integers; at least one.
func ints(s string) ([]int, error) {
	out, err := benchkit.Ints(s)
	if err == nil && len(out) == 0 {
		err = errors.New("none given")
	}
	return out, err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "netbench:", err)
	os.Exit(1)
}
