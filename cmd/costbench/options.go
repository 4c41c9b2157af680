package main

import (
	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/awsv2"
)

// errSessionDeleted is the error of a refused commit, the same value in
// both packages.
var errSessionDeleted = awsv2.ErrSessionDeleted

// options returns cfg's options, the same in both packages (Option is one
// type): WithDeleteWins(true), and WithTouchInterval with m's touch interval
// in real time.
func options(cfg config, m model) []awsv2.Option {
	var opts []awsv2.Option
	if cfg.deleteWins {
		opts = append(opts, awsv2.WithDeleteWins(true))
	}
	if cfg.touch {
		opts = append(opts, awsv2.WithTouchInterval(m.real(m.touch)))
	}
	return opts
}

func v1Options(cfg config, m model) []dynamostore.Option { return options(cfg, m) }

func v2Options(cfg config, m model) []awsv2.Option { return options(cfg, m) }
