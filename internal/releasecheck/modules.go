package main

// released lists the directories of the modules that a release publishes, in
// the order their tags are pushed (RELEASING.md): every module comes after
// the modules it requires. The tag of a module is its directory, a slash and
// the version; the root module's tag is the version alone.
var released = []string{
	"storetest",
	"internal/core",
	".",
	"awsv2",
}

// unreleased lists the directories of the repository's other modules, which a
// release does not publish. A go.mod found in neither list fails the check,
// so that a new module is a decision, not an accident. A listed directory
// need not exist.
var unreleased = []string{
	"cmd/costbench",
	"cmd/demo",
	"cmd/netbench",
	"internal/crosstest",
	"internal/releasecheck",
	"internal/testsuite",
}

// repoModulePrefix is the module path shared by all the repository's modules.
const repoModulePrefix = "github.com/scs-stores/dynamostore"
