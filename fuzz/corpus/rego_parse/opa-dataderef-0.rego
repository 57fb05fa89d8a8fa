package test

p := data[2]
