module github.com/scs-stores/dynamostore/internal/core

go 1.23
