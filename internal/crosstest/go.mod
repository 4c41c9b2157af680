module github.com/scs-stores/dynamostore/internal/crosstest

go 1.24

require (
	github.com/scs-stores/dynamostore v0.1.0
	github.com/scs-stores/dynamostore/awsv2 v0.1.0
)

replace (
	github.com/scs-stores/dynamostore => ../..
	github.com/scs-stores/dynamostore/awsv2 => ../../awsv2
	github.com/scs-stores/dynamostore/internal/core => ../core
	github.com/scs-stores/dynamostore/storetest => ../../storetest
)
