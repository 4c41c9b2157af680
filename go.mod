module github.com/scs-stores/dynamostore

go 1.23

require (
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/aws/aws-sdk-go v1.55.8
	github.com/scs-stores/dynamostore/internal/core v0.1.0
)

require github.com/jmespath/go-jmespath v0.4.0 // indirect

replace github.com/scs-stores/dynamostore/internal/core => ./internal/core
