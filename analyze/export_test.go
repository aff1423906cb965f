package analyze

// For the tests of package analyze_test, which may import reports.
var (
	Load      = load
	ShardFile = shard
)
