# The README's two set-up commands: `make test` and `make demo`.
.PHONY: test demo bench fuzz

# Installs and starts DynamoDB Local, runs go vet, staticcheck and every test
# under -race, and stops the server. Fails when the server cannot start.
test:
	./scripts/ddblocal.sh -- ./scripts/check.sh

# Runs the demo app on http://localhost:4000 on DynamoDB Local, with the
# server's data kept in .demo-data so that sessions outlive a restart.
demo:
	./scripts/ddblocal.sh --db-path .demo-data -- go run ./cmd/demo
