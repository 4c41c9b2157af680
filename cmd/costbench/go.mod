module github.com/scs-stores/dynamostore/cmd/costbench

go 1.24

require (
	github.com/alexedwards/scs/v2 v2.9.0
	github.com/aws/aws-sdk-go v1.55.8
	github.com/aws/aws-sdk-go-v2 v1.48.0
	github.com/aws/aws-sdk-go-v2/config v1.33.18
	github.com/aws/aws-sdk-go-v2/credentials v1.21.0
	github.com/aws/aws-sdk-go-v2/service/dynamodb v1.74.0
	github.com/scs-stores/dynamostore v0.1.0
	github.com/scs-stores/dynamostore/awsv2 v0.1.0
	github.com/scs-stores/dynamostore/internal/core v0.1.0
	github.com/scs-stores/dynamostore/internal/testsuite v0.1.0
)

require (
	github.com/aws/aws-sdk-go-v2/feature/ec2/imds v1.20.9 // indirect
	github.com/aws/aws-sdk-go-v2/internal/configsources v1.5.12 // indirect
	github.com/aws/aws-sdk-go-v2/internal/endpoints/v2 v2.8.12 // indirect
	github.com/aws/aws-sdk-go-v2/internal/v4a v1.5.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/accept-encoding v1.13.25 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/endpoint-discovery v1.13.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/presigned-url v1.14.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/signin v1.13.1 // indirect
	github.com/aws/aws-sdk-go-v2/service/sso v1.39.5 // indirect
	github.com/aws/aws-sdk-go-v2/service/ssooidc v1.44.5 // indirect
	github.com/aws/aws-sdk-go-v2/service/sts v1.52.0 // indirect
	github.com/aws/smithy-go v1.28.9 // indirect
	github.com/jmespath/go-jmespath v0.4.0 // indirect
)

replace github.com/scs-stores/dynamostore => ../..

replace github.com/scs-stores/dynamostore/awsv2 => ../../awsv2

replace github.com/scs-stores/dynamostore/internal/core => ../../internal/core

replace github.com/scs-stores/dynamostore/internal/testsuite => ../../internal/testsuite

replace github.com/scs-stores/dynamostore/storetest => ../../storetest
