package test

a := $""

a2 := $``

b := $"{"foo"} {`bar`} {4}}"

f := $"{d
} {
# this one fouro
true
}"

i := $"{

x

}"
