# METADATA
# title: Test fixtures
# description: A base input that every rule's tests change in one place.
package wavegate.testdata

now := time.parse_rfc3339_ns("2024-07-18T14:00:00Z")

minutes(n) := n * 60000000000

hours(n) := n * 3600000000000

base := {
	"now": now,
	"request": {
		"uid": "uid-1",
		"operation": "CREATE",
		"dryRun": false,
		"user": {"name": "alice", "groups": ["dev"]},
		"isController": false,
		"kubernetesController": false,
		"finalizing": false,
		"breakGlassGroup": "wavegate:break-glass",
		"automation": false,
	},
	"object": {
		"ref": "ConfigMap aoai/cleanup-config",
		"kind": "ConfigMap",
		"group": "",
		"resource": "configmaps",
		"subResource": "",
		"namespace": "aoai",
		"name": "cleanup-config",
		"regions": ["eastus"],
		"annotatedRegions": [],
		"targets": ["eastus"],
		"oldTargets": [],
		"protection": "",
		"newProtection": "",
		"protectedInside": [],
		"protectedDependents": [],
		"addsOwner": false,
		"requires": [],
		"change": {"id": "7f3a9c1e5b", "short": "7f3a9c1e…"},
	},
	"inventory": {
		"size": 16,
		"regions": {
			"eastus": {"known": true, "pairs": ["westus"]},
			"westus": {"known": true, "pairs": ["eastus"]},
			"centralus": {"known": true, "pairs": ["eastus2"]},
		},
	},
	"freezes": [],
	"rollouts": {},
	"automation": [],
	"velocity": {"plan": "default", "planFound": true, "entering": [], "reached": []},
	"moves": [],
}

# patched returns the base input deep-merged with patch (arrays are replaced).
patched(patch) := object.union(base, patch)
