package core

import (
	"context"

	"github.com/scs-stores/dynamostore/internal/core/driver"
	"github.com/scs-stores/dynamostore/internal/core/sessionitem"
)

// CreateTable makes the store's table ready for sessions; see the public
// packages' CreateTable. Each request is bounded on its own; the wait for
// the table lasts as long as ctx allows.
func (s *Store) CreateTable(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	return sessionitem.PrepareTable(ctx, s.cfg.Names, sessionitem.TableCalls{
		Describe: s.describeTable,
		Sleep:    s.sleep,
		Missing:  func(err error) bool { return s.d.ErrorCode(err) == driver.CodeNotFound },
		Create: func(ctx context.Context) error {
			err := s.call(ctx, "create", func(ctx context.Context) error {
				return s.d.CreateTable(ctx, s.cfg.Table, s.cfg.Token)
			})
			if s.d.ErrorCode(err) == driver.CodeInUse {
				return nil // created meanwhile by someone else: checked like any other
			}
			return err
		},
		DescribeTTL: func(ctx context.Context) (status, attribute string, err error) {
			err = s.call(ctx, "describe Time To Live of", func(ctx context.Context) (err error) {
				status, attribute, err = s.d.DescribeTTL(ctx, s.cfg.Table)
				return err
			})
			return status, attribute, err
		},
		EnableTTL: func(ctx context.Context) error {
			return s.call(ctx, "enable Time To Live on", func(ctx context.Context) error {
				return s.d.EnableTTL(ctx, s.cfg.Table, s.cfg.TTL)
			})
		},
	})
}

// call sends one request with f, bounded, and wraps its error.
func (s *Store) call(ctx context.Context, op string, f func(context.Context) error) error {
	rctx, cancel := s.bound(ctx)
	defer cancel()
	if err := f(rctx); err != nil {
		return s.fail(ctx, rctx, op, err)
	}
	return nil
}
