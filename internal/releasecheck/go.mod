module github.com/scs-stores/dynamostore/internal/releasecheck

go 1.24.0

require golang.org/x/mod v0.33.0
