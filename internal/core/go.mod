module github.com/scs-stores/dynamostore/internal/core

go 1.23

require github.com/alexedwards/scs/v2 v2.9.0
