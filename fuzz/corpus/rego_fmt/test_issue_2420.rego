package example

allow if {
    some_condition
}

# some comments

else if {
    another_condition
}
