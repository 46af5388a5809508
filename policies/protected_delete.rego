# METADATA
# title: protected-delete
# description: |
#   Denies the delete of an object labelled wavegate.io/protection=protected,
#   or of a Namespace that contains protected objects, unless break-glass.
#   Denies delete automation everything not explicitly tagged deletable:
#   untagged means protected.
# custom:
#   id: protected-delete
package wavegate.rules.protected_delete

import data.wavegate.lib

obj := input.object

protected_what := sprintf("%s is labelled wavegate.io/protection=protected", [obj.ref])

namespace_what := sprintf("Namespace %s contains protected objects (%s)", [obj.name, concat(", ", obj.protectedInside)])

human_delete if {
	lib.is_delete
	not lib.automation
}

deny contains lib.violation("protected-delete", protected_what, "remove the label first or use break-glass") if {
	human_delete
	obj.protection == "protected"
	not lib.break_glass
}

deny contains lib.violation("protected-delete", namespace_what, "delete or relabel them first, or use break-glass") if {
	human_delete
	count(obj.protectedInside) > 0
	not lib.break_glass
}

warn contains object.union(lib.violation("protected-delete", what, sprintf("admitted as break-glass for %s", [lib.user])), {"breakGlass": lib.user}) if {
	human_delete
	lib.break_glass
	some what in ({protected_what | obj.protection == "protected"} | {namespace_what | count(obj.protectedInside) > 0})
}

deny contains lib.violation("protected-delete", what, "automation may not delete it") if {
	lib.is_delete
	lib.automation
	obj.protection != "deletable"
	what := sprintf("%s is not tagged wavegate.io/protection=deletable", [obj.ref])
}
