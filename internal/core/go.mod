module github.com/scs-stores/dynamostore/internal/core

go 1.23

require (
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/scs-stores/dynamostore/storetest v0.1.0
)

replace github.com/scs-stores/dynamostore/storetest => ../../storetest
