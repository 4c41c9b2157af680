// Command bench measures what testing.B fits badly, and summarises what it
// measures well.
//
// With -sessions (the default), it loads that many live sessions into a
// fresh table of the DynamoDB server at $DYNAMODB_ENDPOINT (DynamoDB Local,
// started by scripts/ddblocal.sh) and times the store's All over them with
// each of the -segments counts, -rounds times in a rotating order, reporting
// the median time, the speed-up over the sequential Scan (1 segment) measured
// in the same run, and the peak growth of the Go heap during the call; beside
// them, the same for a Scan written by hand with the bare SDK.
//
// With -ratios, it reads the output of `go test -bench` (several runs in one
// file are fine) and prints, for each store benchmark, the medians of its
// results beside those of the bare SDK call and their ratio.
//
//	scripts/ddblocal.sh -- go run ./cmd/bench -sessions 10000,100000
//	go run ./cmd/bench -sessions '' -ratios bench-results/overhead.txt
package main

//lint:file-ignore SA1019 aws-sdk-go v1 is what the store under test is built on.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/dynamodb"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/internal/core"
	"github.com/scs-stores/dynamostore/internal/testsuite/benchkit"
)

// defaultScanSegments is the store's default number of scan segments.
const defaultScanSegments = 4

func main() {
	sessions := flag.String("sessions", "10000", "comma-separated table sizes to time All on; empty for none")
	segments := flag.String("segments", fmt.Sprintf("1,%d,8,16", defaultScanSegments), "comma-separated segment counts; 1 is the sequential Scan every other is compared with")
	size := flag.Int("size", 1024, "bytes of data in each session")
	rounds := flag.Int("rounds", 3, "times each segment count is timed, in rotating order; the median is reported")
	loaders := flag.Int("loaders", 4, "goroutines loading the table with BatchWriteItem")
	ratios := flag.String("ratios", "", "comma-separated files of `go test -bench` output to summarise as store/bare ratios")
	flag.Parse()

	if *ratios != "" {
		if err := printRatios(strings.Split(*ratios, ",")); err != nil {
			fail(err)
		}
	}
	sizes, err := benchkit.Ints(*sessions)
	if err != nil {
		fail(fmt.Errorf("-sessions: %w", err))
	}
	segs, err := benchkit.Ints(*segments)
	if err != nil || len(segs) == 0 || segs[0] != 1 {
		fail(fmt.Errorf("-segments must start with 1, the sequential Scan: %q", *segments))
	}
	if len(sizes) == 0 {
		return
	}
	if *rounds < 1 || *size < 0 || *loaders < 1 {
		fail(errors.New("-rounds and -loaders must be at least 1 and -size at least 0"))
	}
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		fail(errors.New("DYNAMODB_ENDPOINT is not set: run through scripts/ddblocal.sh"))
	}
	db, err := client(endpoint)
	if err != nil {
		fail(err)
	}
	for _, n := range sizes {
		if err := benchAll(db, n, *size, segs, *rounds, *loaders); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// client returns a client of the server at endpoint whose transport keeps
// enough idle connections for 16 segments and the loaders.
func client(endpoint string) (*dynamodb.DynamoDB, error) {
	sess, err := session.NewSession(&aws.Config{
		Region:      aws.String("us-east-1"),
		Endpoint:    aws.String(endpoint),
		Credentials: credentials.NewStaticCredentials("bench", "bench", ""),
	})
	if err != nil {
		return nil, fmt.Errorf("aws session: %w", err)
	}
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	return dynamodb.New(sess, &aws.Config{HTTPClient: &http.Client{Transport: tr}}), nil
}

// benchAll loads n sessions of size bytes into a new table and prints how
// long All takes on it, and how much it grows the heap, with each number
// of segments.
func benchAll(db *dynamodb.DynamoDB, n, size int, segs []int, rounds, loaders int) error {
	ctx := context.Background()
	table := fmt.Sprintf("bench_all_%d_%d", n, time.Now().UnixNano())
	_, err := db.CreateTableWithContext(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          aws.String(dynamodb.BillingModePayPerRequest),
		AttributeDefinitions: []*dynamodb.AttributeDefinition{{AttributeName: aws.String("token"), AttributeType: aws.String("S")}},
		KeySchema:            []*dynamodb.KeySchemaElement{{AttributeName: aws.String("token"), KeyType: aws.String("HASH")}},
	})
	if err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	defer func() {
		_, _ = db.DeleteTable(&dynamodb.DeleteTableInput{TableName: aws.String(table)})
	}()
	start := time.Now()
	if err := load(ctx, db, table, n, size, loaders); err != nil {
		return err
	}
	fmt.Printf("\nAll over %d sessions of %d bytes (loaded in %.1fs with %d BatchWriteItem goroutines), %d rounds:\n",
		n, size, time.Since(start).Seconds(), loaders, rounds)

	stores := make(map[int]*dynamostore.DynamoStore, len(segs))
	for _, seg := range segs {
		s, err := dynamostore.NewStore(db, dynamostore.WithTable(table), dynamostore.WithScanSegments(seg))
		if err != nil {
			return err
		}
		stores[seg] = s
	}
	// One untimed All warms DynamoDB Local's JIT and the connection pool.
	if _, err := stores[segs[len(segs)-1]].All(); err != nil {
		return fmt.Errorf("all: %w", err)
	}
	// Segment count 0 stands for the bare SDK's sequential Scan.
	runs := append([]int{0}, segs...)
	times := make(map[int][]time.Duration, len(runs))
	peaks := make(map[int][]uint64, len(runs))
	allocs := make(map[int][]uint64, len(runs))
	for r := range rounds {
		for i := range runs {
			seg := runs[(i+r)%len(runs)]
			all := func() (map[string][]byte, error) { return bareScan(ctx, db, table) }
			if seg > 0 {
				all = stores[seg].All
			}
			d, peak, alloc, err := timeAll(all, n)
			if err != nil {
				return fmt.Errorf("all with %d segments: %w", seg, err)
			}
			times[seg] = append(times[seg], d)
			peaks[seg] = append(peaks[seg], peak)
			allocs[seg] = append(allocs[seg], alloc)
		}
	}
	seq := benchkit.Median(times[1])
	fmt.Printf("%-26s %12s %10s %14s %14s\n", "segments", "time", "speed-up", "peak heap", "allocated")
	for _, seg := range runs {
		name := strconv.Itoa(seg)
		switch seg {
		case 0:
			name = "bare SDK Scan, 1 segment"
		case defaultScanSegments:
			name += " (default)"
		}
		t := benchkit.Median(times[seg])
		fmt.Printf("%-26s %12s %9.2fx %11.1f MB %11.1f MB\n", name, t.Round(time.Millisecond),
			seq.Seconds()/t.Seconds(), mb(benchkit.Median(peaks[seg])), mb(benchkit.Median(allocs[seg])))
	}
	return nil
}

// bareScan is what a program would write by hand to do what All does with
// one segment: the same Scan, every page, into a map.
func bareScan(ctx context.Context, db *dynamodb.DynamoDB, table string) (map[string][]byte, error) {
	all := map[string][]byte{}
	err := db.ScanPagesWithContext(ctx, &dynamodb.ScanInput{
		TableName:                aws.String(table),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#t, #d"),
		FilterExpression:         aws.String("#e > :now"),
		ExpressionAttributeNames: map[string]*string{"#t": aws.String("token"), "#d": aws.String("data"), "#e": aws.String("expiry")},
		ExpressionAttributeValues: map[string]*dynamodb.AttributeValue{
			":now": {N: aws.String(strconv.FormatInt(time.Now().UnixNano(), 10))},
		},
	}, func(page *dynamodb.ScanOutput, _ bool) bool {
		for _, item := range page.Items {
			all[aws.StringValue(item["token"].S)] = item["data"].B
		}
		return true
	})
	return all, err
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// timeAll calls all after a garbage collection and returns how long it
// took, how far the heap grew above where it started (sampled every
// millisecond, and once more with the result still held), and how many
// bytes it allocated.
func timeAll(all func() (map[string][]byte, error), want int) (time.Duration, uint64, uint64, error) {
	runtime.GC()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	read := func() (heap, allocated uint64) {
		metrics.Read(samples)
		return samples[0].Value.Uint64(), samples[1].Value.Uint64()
	}
	base, alloc0 := read()
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				metrics.Read(s)
				mu.Lock()
				peak = max(peak, s[0].Value.Uint64())
				mu.Unlock()
			}
		}
	}()
	start := time.Now()
	got, err := all()
	d := time.Since(start)
	close(stop)
	<-done
	heap, alloc1 := read()
	peak = max(peak, heap)
	if err != nil {
		return 0, 0, 0, err
	}
	if len(got) != want {
		return 0, 0, 0, fmt.Errorf("got %d sessions, want %d", len(got), want)
	}
	runtime.KeepAlive(got)
	return d, peak - min(base, peak), alloc1 - alloc0, nil
}

// load writes n live sessions of size random bytes under random 43
// character tokens, like SCS's, 25 to a BatchWriteItem request, from the
// given number of goroutines.
func load(ctx context.Context, db *dynamodb.DynamoDB, table string, n, size, loaders int) error {
	expiry := time.Now().Add(24 * time.Hour)
	expiryN, ttlN := core.EncodeExpiry(expiry)
	batches := make(chan []*dynamodb.WriteRequest)
	errs := make(chan error, loaders)
	var wg sync.WaitGroup
	for range loaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for reqs := range batches {
				pending := map[string][]*dynamodb.WriteRequest{table: reqs}
				for len(pending) > 0 {
					out, err := db.BatchWriteItemWithContext(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
					if err != nil {
						errs <- fmt.Errorf("load: %w", err)
						for range batches { // let the producer finish
						}
						return
					}
					pending = out.UnprocessedItems
				}
			}
		}()
	}
	for i := 0; i < n; i += 25 {
		reqs := make([]*dynamodb.WriteRequest, 0, 25)
		for j := i; j < min(i+25, n); j++ {
			tok, data := make([]byte, 32), make([]byte, size)
			_, _ = rand.Read(tok)
			_, _ = rand.Read(data)
			reqs = append(reqs, &dynamodb.WriteRequest{PutRequest: &dynamodb.PutRequest{Item: map[string]*dynamodb.AttributeValue{
				"token":  {S: aws.String(base64.RawURLEncoding.EncodeToString(tok))},
				"data":   {B: data},
				"expiry": {N: aws.String(expiryN)},
				"ttl":    {N: aws.String(ttlN)},
			}}})
		}
		batches <- reqs
	}
	close(batches)
	wg.Wait()
	close(errs)
	return <-errs
}

// ratio formats s/b, or "-" when b is 0.
func ratio(s, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", s/b)
}

// pairedRatio returns the median of s[i]/b[i], the ratios of runs made one
// after the other, which cancels the drift of a shared machine's load
// between runs; "-" when the runs do not pair up.
func pairedRatio(s, b []float64) string {
	if len(s) != len(b) {
		return "-"
	}
	var rs []float64
	for i := range s {
		if b[i] != 0 {
			rs = append(rs, s[i]/b[i])
		}
	}
	if len(rs) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", benchkit.Median(rs))
}

// printRatios reads `go test -bench` output and prints the median of each
// store benchmark's results beside the bare call's, and their ratio.
func printRatios(files []string) error {
	results := map[string]map[string][]float64{} // benchmark -> unit -> values
	var names []string
	for _, f := range files {
		file, err := os.Open(f)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
				continue
			}
			name := fields[0]
			if i := strings.LastIndexByte(name, '-'); i > 0 {
				if _, err := strconv.Atoi(name[i+1:]); err == nil {
					name = name[:i] // the GOMAXPROCS suffix
				}
			}
			if results[name] == nil {
				results[name] = map[string][]float64{}
				names = append(names, name)
			}
			for i := 2; i+1 < len(fields); i += 2 {
				if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
					results[name][fields[i+1]] = append(results[name][fields[i+1]], v)
				}
			}
		}
		file.Close()
		if err := sc.Err(); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	bareOf := func(name string) string {
		switch name {
		case "BenchmarkFind":
			return "BenchmarkBareGetItem"
		case "BenchmarkCommit":
			return "BenchmarkBarePutItem"
		case "BenchmarkDelete":
			return "BenchmarkBareDeleteItem"
		}
		for _, impl := range []string{"/store", "/unbounded"} {
			if base, ok := strings.CutSuffix(name, impl); ok {
				return base + "/bare"
			}
		}
		return ""
	}
	fmt.Println("Store beside bare SDK call: medians over runs; \"paired\" is the median of the runs' own store/bare ratios")
	fmt.Printf("%-28s %-10s %4s %13s %13s %7s %7s\n", "benchmark", "unit", "runs", "store", "bare", "ratio", "paired")
	for _, name := range names {
		bare := results[bareOf(name)]
		if bare == nil {
			continue
		}
		for _, unit := range []string{"ns/op", "B/op", "allocs/op", "ops/s", "p50-us", "p99-us"} {
			sv, bv := results[name][unit], bare[unit]
			if len(sv) == 0 || len(bv) == 0 {
				continue
			}
			fmt.Printf("%-28s %-10s %4d %13.1f %13.1f %7s %7s\n", strings.TrimPrefix(name, "Benchmark"), unit, len(sv),
				benchkit.Median(sv), benchkit.Median(bv), ratio(benchkit.Median(sv), benchkit.Median(bv)), pairedRatio(sv, bv))
		}
	}
	// What the store adds, measured without I/O by BenchmarkOwnWork, as a
	// share of the whole bare call on the fake server.
	header := false
	for _, op := range []struct{ name, bare string }{
		{"Find", "BenchmarkBareGetItem"}, {"Commit", "BenchmarkBarePutItem"}, {"Delete", "BenchmarkBareDeleteItem"},
	} {
		own, ownBare, call := results["BenchmarkOwnWork/"+op.name+"/store"], results["BenchmarkOwnWork/"+op.name+"/bare"], results[op.bare]
		if own == nil || ownBare == nil || call == nil || len(own["ns/op"]) == 0 || len(ownBare["ns/op"]) == 0 || len(call["ns/op"]) == 0 {
			continue
		}
		if !header {
			fmt.Printf("\nTime and allocations the store adds to a call (BenchmarkOwnWork store - bare, medians),\nas a share of the bare SDK call on the fake server:\n")
			fmt.Printf("%-8s %12s %12s %16s %8s\n", "call", "added ns", "added allocs", "bare call ns", "share")
			header = true
		}
		added := benchkit.Median(own["ns/op"]) - benchkit.Median(ownBare["ns/op"])
		allocs := 0.0
		if len(own["allocs/op"]) > 0 && len(ownBare["allocs/op"]) > 0 {
			allocs = benchkit.Median(own["allocs/op"]) - benchkit.Median(ownBare["allocs/op"])
		}
		whole := benchkit.Median(call["ns/op"])
		fmt.Printf("%-8s %12.0f %12.0f %16.0f %7.2f%%\n", op.name, added, allocs, whole, 100*added/whole)
	}
	return nil
}
