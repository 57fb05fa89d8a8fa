package test

p := $``
