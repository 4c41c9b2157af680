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
	fmt.Fprintln(w, "| SDK | Configuration | PutItems | of them refused | GetItems | of them confirming a skipped commit | DeleteItems | Write units | Read units | Cost in read units (5 × write + read) | Cost ÷ default |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	var missing int64
	for _, r := range rs {
		wu, ru, miss := r.units()
		missing += miss
		ratio := "—"
		if d, ok := defaults[r.sdk]; ok && d.cost() > 0 {
			ratio = fmt.Sprintf("%.2f", r.cost()/d.cost())
		}
		t := r.tallies
		finds := r.stats.FindsFound + r.stats.FindsNotFound + r.stats.FindsExpired
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.sdk, r.config,
			num(per(r, float64(t[opPut].Sent))), num(per(r, float64(t[opPut].CondFailed))),
			num(per(r, float64(t[opGet].Sent))), num(per(r, float64(t[opGet].Sent-finds))), num(per(r, float64(t[opDelete].Sent))),
			num(per(r, wu)), num(per(r, ru)), num(per(r, writePrice*wu+ru)), ratio)
	}
	fmt.Fprintln(w)
	var bytes, puts, largest int64
	for _, r := range rs {
		t := r.tallies[opPut]
		bytes, puts, largest = bytes+t.Bytes, puts+t.Sent, max(largest, t.MaxBytes)
	}
	var changing, requests int64
	for _, r := range rs {
		changing, requests = changing+r.changing, requests+int64(r.requests)
	}
	if requests > 0 {
		fmt.Fprintf(w, "Requests that changed their session (a new session's first, a change, a log-in): %s per 1,000.\n\n", num(float64(changing)*1000/float64(requests)))
	}
	if puts > 0 {
		fmt.Fprintf(w, "Items put: %.0f bytes on average, %d at most, as DynamoDB counts them (names and values).\n\n", float64(bytes)/float64(puts), largest)
	}
	if missing > 0 {
		fmt.Fprintf(w, "%d successful answers carried no ConsumedCapacity: their units are missing from the table above.\n\n", missing)
	} else {
		fmt.Fprintf(w, "Units: every successful answer's ConsumedCapacity, as the engine reported it (%s); each refused PutItem counted as 1 write unit.\n\n", unitsSeen(rs))
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
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d, %d | %s |\n", r.sdk, r.config,
			num(per(r, float64(s.FindsFound))), num(per(r, float64(s.FindsNotFound))), num(per(r, float64(s.FindsExpired))),
			num(per(r, float64(s.CommitsWritten))), num(per(r, float64(s.CommitsSkipped))), num(per(r, float64(s.CommitsRefused))),
			num(per(r, float64(s.Deletes))), s.Errors, s.RememberedSessions, s.RememberedBytes, statusList(r.statuses))
	}
}

// unitsSeen returns, for each operation, the units its answers reported and
// how many did: "GetItem 1 × 3856, ...".
func unitsSeen(rs []result) string {
	s := ""
	for o := op(0); o < numOps; o++ {
		all := map[float64]int64{}
		for _, r := range rs {
			for u, n := range r.tallies[o].ByUnits {
				all[u] += n
			}
		}
		units := make([]float64, 0, len(all))
		for u := range all {
			units = append(units, u)
		}
		sort.Float64s(units)
		if o > 0 {
			s += "; "
		}
		s += opNames[o]
		for i, u := range units {
			if i > 0 {
				s += ","
			}
			s += fmt.Sprintf(" %g unit × %d", u, all[u])
		}
	}
	return s
}

// num formats a count per 1,000 requests: whole, or with one decimal.
func num(x float64) string {
	if x == float64(int64(x)) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
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
