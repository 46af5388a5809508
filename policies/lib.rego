# METADATA
# title: Shared helpers
# description: Helpers every Wavegate rule uses to read the input and to word its verdicts.
package wavegate.lib

# violation is one verdict line: [wavegate:<rule>] <what is wrong>; <what to do instead>.
violation(rule, what, instead) := {"rule": rule, "msg": sprintf("[wavegate:%s] %s; %s", [rule, what, instead])}

# regions is every single region the request touches, from the region labels
# (the object's or its Namespace's) of the new and the old object, and the
# regions annotation when it lists regions by name.
regions contains r if some r in input.object.regions

regions contains r if {
	some r in input.object.annotatedRegions
	r != "*"
}

# targets_all is true when the object is annotated wavegate.io/regions: "*".
targets_all if "*" in input.object.annotatedRegions

# regional is true when the request touches at least one region.
regional if count(regions) > 0

regional if targets_all

user := input.request.user.name

groups := object.get(input.request.user, "groups", [])

# break_glass is true for members of the global break-glass group.
break_glass if input.request.breakGlassGroup in groups

is_delete if input.request.operation == "DELETE"

# and_list words a list for a sentence: "a", "a and b", "a, b and c".
and_list(xs) := xs[0] if count(xs) == 1

and_list(xs) := concat(" and ", xs) if count(xs) == 2

and_list(xs) := sprintf("%s and %s", [concat(", ", array.slice(xs, 0, count(xs) - 1)), xs[count(xs) - 1]]) if count(xs) > 2

# plural picks the singular or plural word for n.
plural(n, one, _) := one if n == 1

plural(n, _, many) := many if n != 1

# automation is true when the requester is an identity of an AutomationPolicy.
automation if count(input.automation) > 0

# format_time renders nanoseconds since the epoch as RFC 3339 in UTC.
format_time(ns) := time.format([ns, "UTC", "2006-01-02T15:04:05Z07:00"])
