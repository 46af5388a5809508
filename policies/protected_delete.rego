# METADATA
# title: protected-delete
# description: |
#   Only the exact value wavegate.io/protection=deletable is deletable; no
#   label means protected for automation, and any other value (protected, or
#   a typo such as Protected) counts as protected for everyone.
#   Denies a human's delete of an object that counts as protected, or of a
#   Namespace that contains protected objects, unless break-glass.
#   Denies delete automation everything not tagged exactly deletable, every
#   Namespace (its contents of every kind cannot be known to be deletable),
#   lowering an object's protection and adding an owner to an object not
#   tagged deletable. Protection follows owner references: an object that
#   owns protected objects is held as they are (the garbage collector
#   deletes them with it).
#   Warns about a protection value that is neither protected nor deletable.
# custom:
#   id: protected-delete
package wavegate.rules.protected_delete

import data.wavegate.lib

obj := input.object

# level orders protection values: deletable < untagged < anything else.
level(v) := 0 if v == "deletable"

level(v) := 1 if v == ""

level(v) := 2 if {
	v != "deletable"
	v != ""
}

# described words a protection value for a message.
described(v) := "untagged" if v == ""

described(v) := sprintf("labelled wavegate.io/protection=%s", [v]) if v != ""

# protected: the stored object counts as protected for a human.
protected if level(obj.protection) == 2

protected_what := sprintf("%s is labelled wavegate.io/protection=protected", [obj.ref]) if obj.protection == "protected"

protected_what := sprintf("%s is labelled wavegate.io/protection=%s, which counts as protected", [obj.ref, obj.protection]) if {
	protected
	obj.protection != "protected"
}

namespace_what := sprintf("Namespace %s contains protected objects (%s)", [obj.name, concat(", ", obj.protectedInside)])

is_namespace if {
	obj.kind == "Namespace"
	obj.group == ""
}

human_delete if {
	lib.is_delete
	not lib.automation
}

# What holds a human's delete, each with its fix; the denial is one line
# for the rule (SPEC §4) naming them all.
holding contains [protected_what, "have a human label it wavegate.io/protection=deletable first"] if {
	human_delete
	protected
	not lib.break_glass
}

holding contains [namespace_what, "delete or relabel them first"] if {
	human_delete
	count(obj.protectedInside) > 0
	not lib.break_glass
}

# Protection follows owner references (§11 S3): deleting an owner makes the
# garbage collector delete what it owns.
dependents_what := sprintf("%s owns protected objects (%s), which are deleted with it", [obj.ref, concat(", ", obj.protectedDependents)])

holding contains [dependents_what, "delete or relabel them first"] if {
	human_delete
	count(obj.protectedDependents) > 0
	not lib.break_glass
}

holding contains [unseen_what, unseen_fix] if {
	human_delete
	unseen
	obj.unseenDenied
	not lib.break_glass
}

deny contains lib.violation("protected-delete", concat(", and ", whats), concat("", [concat(", and ", fixes), ", or use break-glass"])) if {
	count(holding) > 0
	whats := sort([h[0] | some h in holding])
	fixes := sort({h[1] | some h in holding})
}

# unseen_what: the Namespace may hold protected objects of kinds Wavegate
# may not list. With --deny-unseen-namespace-contents that is undecidable
# and denied; otherwise the delete is admitted with a warning that names them.
unseen_what := sprintf("Namespace %s may hold protected objects of kinds Wavegate may not list (%s)", [obj.name, concat(", ", obj.unseenKinds)])

unseen_fix := "grant Wavegate list and watch on them (a ClusterRole labelled wavegate.io/aggregate-to-protection-scan=true)"

unseen if {
	is_namespace
	count(obj.unseenKinds) > 0
}

warn contains lib.violation("protected-delete", unseen_what, concat("", ["they were not checked; ", unseen_fix])) if {
	human_delete
	unseen
	not obj.unseenDenied
	not lib.break_glass
}

warn contains object.union(lib.violation("protected-delete", what, sprintf("admitted as break-glass for %s", [lib.user])), {"breakGlass": lib.user}) if {
	human_delete
	lib.break_glass
	some what in ((({protected_what | protected} | {namespace_what | count(obj.protectedInside) > 0}) | {unseen_what | unseen}) | {dependents_what | count(obj.protectedDependents) > 0})
}

deny contains lib.violation("protected-delete", what, "automation may not delete it") if {
	lib.is_delete
	lib.automation
	not is_namespace
	obj.protection != "deletable"
	what := sprintf("%s is not tagged wavegate.io/protection=deletable", [obj.ref])
}

deny contains lib.violation("protected-delete", what, "automation may not delete it; a human may, once they are deleted or relabelled") if {
	lib.is_delete
	lib.automation
	not is_namespace
	count(obj.protectedDependents) > 0
	what := sprintf("%s owns objects that are not tagged wavegate.io/protection=deletable (%s), which are deleted with it", [obj.ref, concat(", ", obj.protectedDependents)])
}

# Automation may delete a Namespace only when everything in it is tagged
# deletable; contents of every kind cannot be known without listing them,
# and unknown is not safe.
deny contains lib.violation("protected-delete", what, "automation may not delete a Namespace; let it delete the deletable objects inside, and a human the Namespace") if {
	lib.is_delete
	lib.automation
	is_namespace
	inside := {sprintf(" and holds objects not tagged deletable (%s)", [concat(", ", obj.protectedInside)]) | count(obj.protectedInside) > 0}
	what := sprintf("Namespace %s may hold objects of any kind that are not tagged wavegate.io/protection=deletable%s", [obj.name, concat("", inside)])
}

# An automation identity may not lower an object's protection (relabel a
# protected or untagged object deletable, or remove a protected label): it
# could then delete what it may not. Nor may it change protected to
# anything else (SPEC §4), such as a value that only counts as protected.
lowered if level(obj.newProtection) < level(obj.protection)

lowered if {
	obj.protection == "protected"
	obj.newProtection != "protected"
}

deny contains lib.violation("protected-delete", what, "a human must change its protection") if {
	input.request.operation == "UPDATE"
	input.request.automation
	lowered
	what := sprintf("%s is %s; automation may not change it to %s", [obj.ref, described(obj.protection), described(obj.newProtection)])
}

# A protection value other than protected or deletable is most likely a typo;
# it counts as protected.
warn contains lib.violation("protected-delete", what, "label it exactly protected or deletable") if {
	input.request.operation in {"CREATE", "UPDATE"}
	level(obj.newProtection) == 2
	obj.newProtection != "protected"
	what := sprintf("%s is labelled wavegate.io/protection=%s, which is neither protected nor deletable and counts as protected", [obj.ref, obj.newProtection])
}

# An owner reference lets a delete of the owner reach the object: automation
# may not add one to an object that is not tagged deletable (§11 S3).
deny contains lib.violation("protected-delete", what, "a human must add it, or tag the object deletable first") if {
	input.request.operation == "UPDATE"
	input.request.automation
	obj.addsOwner
	obj.newProtection != "deletable"
	what := sprintf("%s is %s; automation may not give it an owner", [obj.ref, described(obj.newProtection)])
}
