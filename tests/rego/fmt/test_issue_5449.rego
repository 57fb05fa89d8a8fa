package demo

foo["bar"] = "baz" if { input }
