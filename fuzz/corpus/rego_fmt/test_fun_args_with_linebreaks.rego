package test

p if {
    x := count(
        [1, 2, 3] # four
    )
    y := concat(
        "/",
        ["foo", "bar"],
    )
    z := concat("/",
        [
            "foo",
            "bar",
        ])
}