package main

import (
	"context"
	"testing"
	"time"

	"github.com/scs-stores/dynamostore/internal/testsuite/testenv"
)

// TestCountsAgreeWithTheStoresAndTheRacesShowTheOptions runs a small model
// through both SDKs, without options and with both, and checks what the
// tables of BENCHMARKS.md rest on: the requests counted at the client are
// the ones the stores' Stats account for, DynamoDB Local reports the
// capacity of every successful answer, every race undoes the logout or
// log-in without the options and none does with them.
func TestCountsAgreeWithTheStoresAndTheRacesShowTheOptions(t *testing.T) {
	endpoint := testenv.Endpoint(t)
	if testenv.Engine() != testenv.EngineDDBLocal {
		t.Skipf("needs DynamoDB Local (CreateTable turns Time To Live on, and the units come from its ConsumedCapacity), not %s", testenv.Engine())
	}
	m := model{
		idle: 20 * time.Minute, lifetime: 24 * time.Hour, touch: 2 * time.Minute, think: 30 * time.Second,
		scale: 600, visitors: 4, requests: 40, races: 1, seed: 1,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, s := range []sdk{sdkV1, sdkV2} {
		for _, cfg := range []config{allConfigs[0], allConfigs[3]} {
			t.Run(s.name+"/"+cfg.name, func(t *testing.T) {
				r, err := runOne(ctx, s, cfg, m, endpoint, testenv.TableName(t))
				if err != nil {
					t.Fatal(err)
				}
				if r.requests != 40 || r.statuses[200] != 40 {
					t.Errorf("traffic: %d requests answered %v, want 40 answered 200", r.requests, r.statuses)
				}
				get, put, del := r.tallies[opGet], r.tallies[opPut], r.tallies[opDelete]
				st := r.stats
				// With both options, a skipped commit reads the item to
				// confirm that it still exists, and so may a refused one.
				var confirms int64
				if cfg.deleteWins && cfg.touch {
					confirms = st.CommitsSkipped + st.CommitsRefused - put.CondFailed
				}
				if finds := st.FindsFound + st.FindsNotFound + st.FindsExpired; get.Sent != finds+confirms {
					t.Errorf("%d GetItems counted, Stats has %d Finds and %d commits that confirm", get.Sent, finds, confirms)
				}
				if put.Sent != st.CommitsWritten+st.CommitsRefused || put.CondFailed != st.CommitsRefused {
					t.Errorf("%d PutItems counted (%d refused), Stats has %d written and %d refused", put.Sent, put.CondFailed, st.CommitsWritten, st.CommitsRefused)
				}
				if del.Sent != st.Deletes || st.Errors != 0 {
					t.Errorf("%d DeleteItems counted, Stats has %d Deletes and %d errors", del.Sent, st.Deletes, st.Errors)
				}
				if _, _, missing := r.units(); missing != 0 || put.Units < float64(put.Sent-put.Failed) || get.Units < float64(get.Sent) {
					t.Errorf("units: %d answers without ConsumedCapacity; %v write units for %d PutItems, %v read units for %d GetItems", missing, put.Units, put.Sent, get.Units, get.Sent)
				}
				if len(r.races) != 4 {
					t.Fatalf("%d races, want 4", len(r.races))
				}
				for _, rc := range r.races {
					if want := cfg.name == "default"; rc.undone != want {
						t.Errorf("%s race against a changing request (%v): undone %v, want %v", rc.kind, rc.changing, rc.undone, want)
					}
				}
			})
		}
	}
}
