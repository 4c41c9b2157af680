package main

import (
	"fmt"
	"io"
	"net/http"
	"sort"
)

// writePrice is the price of a write request unit in read request units,
// on demand (DynamoDB's pricing page: 5 to 1 in every region listed).
const writePrice = 5

// units returns the write and read units of r's traffic, and how many
// successful answers carried no ConsumedCapacity (0 when every one did). A
// refused conditional write is one write unit (see the package comment).
func (r result) units() (write, read float64, missing int64) {
	for o := op(0); o < numOps; o++ {
		t := r.tallies[o]
		missing += t.Sent - t.Failed - t.Reported
		if o == opGet {
			read += t.Units
			continue
		}
		write += t.Units + float64(t.CondFailed)
	}
	return write, read, missing
}

// cost returns r's traffic's price in read request units.
func (r result) cost() float64 {
	w, rd, _ := r.units()
	return writePrice*w + rd
}

func printResults(w io.Writer, rs []result) {
	defaults := map[string]result{}
	for _, r := range rs {
		if r.config == "default" {
			defaults[r.sdk] = r
		}
	}
	per := func(r result, n float64) float64 { return n * 1000 / float64(r.requests) }

	fmt.Fprintln(w, "Per 1,000 requests of the app:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| SDK | Configuration | PutItems | of them refused | GetItems | DeleteItems | Write units | Read units | Cost in read units (5 × write + read) | Cost ÷ default |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	var missing int64
	for _, r := range rs {
		wu, ru, miss := r.units()
		missing += miss
		ratio := "—"
		if d, ok := defaults[r.sdk]; ok && d.cost() > 0 {
			ratio = fmt.Sprintf("%.2f", r.cost()/d.cost())
		}
		t := r.tallies
		fmt.Fprintf(w, "| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %s |\n", r.sdk, r.config,
			per(r, float64(t[opPut].Sent)), per(r, float64(t[opPut].CondFailed)),
			per(r, float64(t[opGet].Sent)), per(r, float64(t[opDelete].Sent)),
			per(r, wu), per(r, ru), per(r, writePrice*wu+ru), ratio)
	}
	fmt.Fprintln(w)
	if missing > 0 {
		fmt.Fprintf(w, "%d successful answers carried no ConsumedCapacity: their units are missing from the table above.\n\n", missing)
	} else {
		fmt.Fprintln(w, "Units: every successful answer's ConsumedCapacity, as the engine reported it; each refused PutItem counted as 1 write unit.")
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "Races: a logout (Destroy) or a log-in (RenewToken) on one app server while a slow request of the same")
	fmt.Fprintln(w, "session, loaded before it, is held on the other and commits after it; undone = the old token's item is")
	fmt.Fprintln(w, "in the table afterwards.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| SDK | Configuration | Logouts undone by a read-only request | by a changing request | Log-ins (RenewToken) undone by a read-only request | by a changing request | The slow requests answered |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range rs {
		var undone [2][2]int
		var total [2][2]int
		statuses := map[int]int{}
		for _, rc := range r.races {
			k, c := 0, 0
			if rc.kind == "renew" {
				k = 1
			}
			if rc.changing {
				c = 1
			}
			total[k][c]++
			if rc.undone {
				undone[k][c]++
			}
			statuses[rc.status]++
		}
		fmt.Fprintf(w, "| %s | %s | %d of %d | %d of %d | %d of %d | %d of %d | %s |\n", r.sdk, r.config,
			undone[0][0], total[0][0], undone[0][1], total[0][1], undone[1][0], total[1][0], undone[1][1], total[1][1],
			statusList(statuses))
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "The stores' Stats after the traffic (both app servers), per 1,000 requests:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| SDK | Configuration | Finds found | not found | expired | Commits written | skipped | refused | Deletes | Errors | Remembered sessions, bytes (at the end) | Traffic's answers |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		s := r.stats
		if !s.Available {
			fmt.Fprintf(w, "| %s | %s | no Stats | | | | | | | | | %s |\n", r.sdk, r.config, statusList(r.statuses))
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %d | %d, %d | %s |\n", r.sdk, r.config,
			per(r, float64(s.FindsFound)), per(r, float64(s.FindsNotFound)), per(r, float64(s.FindsExpired)),
			per(r, float64(s.CommitsWritten)), per(r, float64(s.CommitsSkipped)), per(r, float64(s.Refused)),
			per(r, float64(s.Deletes)), s.Errors, s.RememberedSessions, s.RememberedBytes, statusList(r.statuses))
	}
}

// statusList returns "200 × 10, 303 × 2" for a count of HTTP statuses.
func statusList(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	s := ""
	for i, c := range codes {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d %s × %d", c, http.StatusText(c), m[c])
	}
	return s
}
