package main

import (
	"errors"

	"github.com/scs-stores/dynamostore"
	"github.com/scs-stores/dynamostore/awsv2"
)

// errSessionDeleted stands in for ErrSessionDeleted until the store has it.
var errSessionDeleted = errors.New("placeholder: the store has no ErrSessionDeleted yet")

var errNoFeature = errors.New("the store has no WithDeleteWins or WithTouchInterval yet")

func v1Options(cfg config, m model) []dynamostore.Option {
	if cfg.deleteWins || cfg.touch {
		panic(errNoFeature)
	}
	return nil
}

func v2Options(cfg config, m model) []awsv2.Option {
	if cfg.deleteWins || cfg.touch {
		panic(errNoFeature)
	}
	return nil
}

func v1Stats(*dynamostore.DynamoStore) storeStats { return storeStats{} }

func v2Stats(*awsv2.DynamoStore) storeStats { return storeStats{} }
