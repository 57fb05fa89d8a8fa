package p

# this is a comment with trailing whitespace 

allow if {
	# another comment with trailing whitespace  
	1 == 1
}
