package ex

bool if {
	false
} else := true
