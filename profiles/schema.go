package profiles

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of profile files, for editors:
// point yaml-language-server at it with a first line
//
//	# yaml-language-server: $schema=https://raw.githubusercontent.com/stampede-dev/stampede/main/profiles/schema.json
//
// The loader is the authority: the schema cannot say everything it checks
// (environment variables, request names, the grammar of rates and rules).
//
//go:embed schema.json
var Schema []byte
