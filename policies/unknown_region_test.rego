package wavegate.rules.unknown_region_test

import data.wavegate.rules.unknown_region
import data.wavegate.testdata

unknown(regions) := testdata.patched({"object": {"regions": regions}, "inventory": {"regions": {"chinaeast9": {"known": false, "pairs": []}}}})

test_a_region_that_is_not_in_the_inventory_is_denied if {
	unknown_region.deny == {{
		"rule": "unknown-region",
		"msg": "[wavegate:unknown-region] region chinaeast9 is not in the region inventory; unknown is not safe",
	}} with input as unknown(["chinaeast9"])
}

test_a_known_region_is_allowed if {
	count(unknown_region.deny) == 0 with input as testdata.base
}

test_an_unknown_region_in_the_annotation_is_denied if {
	inp := testdata.patched({"object": {"regions": [], "annotatedRegions": ["chinaeast9"]}, "inventory": {"regions": {"chinaeast9": {"known": false}}}})
	count(unknown_region.deny) == 1 with input as inp
}

test_a_region_missing_from_the_facts_counts_as_unknown if {
	inp := testdata.patched({"object": {"regions": ["nowhere"]}})
	count(unknown_region.deny) == 1 with input as inp
}

test_every_unknown_region_is_named_in_one_line if {
	inp := testdata.patched({"object": {"regions": ["x2", "x1", "eastus"]}})
	unknown_region.deny == {{
		"rule": "unknown-region",
		"msg": "[wavegate:unknown-region] regions x1 and x2 are not in the region inventory; unknown is not safe",
	}} with input as inp
}

test_the_wildcard_is_not_a_region if {
	inp := testdata.patched({"object": {"regions": [], "annotatedRegions": ["*"]}})
	count(unknown_region.deny) == 0 with input as inp
}
