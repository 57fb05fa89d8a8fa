# Role-based access control, the example policy of OPA's documentation
# (https://www.openpolicyagent.org/docs/latest/#example), in Rego v1. Used
# by bench_rego's warm small-policy benchmark.
package app.rbac

default allow := false

# Admins may do anything.
allow if user_is_admin

# Others need a grant for the action on the object's type.
allow if {
	some grant in user_is_granted
	input.action == grant.action
	input.type == grant.type
}

user_is_admin if "admin" in data.user_roles[input.user]

user_is_granted contains grant if {
	some role in data.user_roles[input.user]
	some grant in data.role_grants[role]
}
