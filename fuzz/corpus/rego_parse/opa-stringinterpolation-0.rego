package test

p := $""
