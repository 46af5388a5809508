# METADATA
# title: The admission decision
# description: |
#   Collects the verdicts of every rule under data.wavegate.rules, including
#   operators' own policies loaded with --policy-dir. The webhook denies when
#   deny is not empty, and returns warn to the client either way.
package wavegate.main

deny contains v if some v in data.wavegate.rules[_].deny

warn contains v if some v in data.wavegate.rules[_].warn

decision := {"deny": deny, "warn": warn}
